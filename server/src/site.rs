//! The app's files (`/pkg/`) as the build named them. `make build` names the script, the
//! WebAssembly and the stylesheet by their content (`rekey.<hash>.wasm`, cargo-leptos
//! `hash-files`) and lists the hashes beside the site, in `target/site-hash.txt`: not next to
//! the binary, where cargo-leptos puts the list by default, because every clone on this
//! machine shares one target directory but each has its own site; not inside the site, where
//! it would be served. Leptos reads the list again for each page's hydration script; the
//! stylesheet's link uses the name read here once, at start-up (`app::Stylesheet`). A name
//! that changes whenever the content does can be cached by browsers for good; `make dev`
//! keeps the plain names, so the stylesheet reloads in place.

use anyhow::{bail, Context};
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};

/// The three files every page loads, by their names in the site's package directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// Whether the names carry their content's hash (and so never name other content).
    pub hashed: bool,
}

impl Files {
    /// The names Leptos writes into pages with these options.
    pub fn named(options: &LeptosOptions) -> anyhow::Result<Files> {
        let name = &*options.output_name;
        if !options.hash_files {
            // Without cargo-leptos's output name at compile time Leptos asks for `<name>_bg`.
            let wasm = match option_env!("LEPTOS_OUTPUT_NAME") {
                Some(_) => format!("{name}.wasm"),
                None => format!("{name}_bg.wasm"),
            };
            return Ok(Files {
                js: format!("{name}.js"),
                wasm,
                css: format!("{name}.css"),
                hashed: false,
            });
        }
        let list = hash_list(options);
        let text = std::fs::read_to_string(&list)
            .with_context(|| format!("reading {} (written by `make build`)", list.display()))?;
        let hash = |kind: &str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, h)| h.trim().to_string())
                .filter(|h| {
                    !h.is_empty()
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .with_context(|| format!("{} names no {kind} file", list.display()))
        };
        Ok(Files {
            js: format!("{name}.{}.js", hash("js")?),
            wasm: format!("{name}.{}.wasm", hash("wasm")?),
            css: format!("{name}.{}.css", hash("css")?),
            hashed: true,
        })
    }

    /// Fails, saying what to do, unless every file exists in the site directory: a server
    /// whose pages name files that are not there would serve pages that never come alive.
    pub fn check(&self, options: &LeptosOptions) -> anyhow::Result<()> {
        let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
        for file in [&self.js, &self.wasm, &self.css] {
            let path = dir.join(file);
            if !path.is_file() {
                bail!(
                    "{} is missing: the site and this server binary come from different builds; run `make build`",
                    path.display()
                );
            }
        }
        Ok(())
    }

    /// Where the browser asks for them: `/pkg/<name>`.
    pub fn paths(&self, options: &LeptosOptions) -> [String; 3] {
        let pkg = &options.site_pkg_dir;
        [&self.js, &self.wasm, &self.css].map(|f| format!("/{pkg}/{f}"))
    }
}

/// Points `options` at the site's hash list and turns hashed names on when the build left
/// one. When cargo-leptos runs the server it says both itself (`LEPTOS_HASH_FILES`, false
/// under `make dev`, and `LEPTOS_HASH_FILE_NAME`), and that stands.
pub fn prepare(options: &mut LeptosOptions) {
    if std::env::var_os("LEPTOS_HASH_FILE_NAME").is_none() {
        let list = hash_list_of(&options.site_root);
        // Leptos looks for the list relative to the binary's directory; an absolute path wins.
        let list = std::path::absolute(&list).unwrap_or(list);
        options.hash_file = list.to_string_lossy().into();
    }
    options.hash_files = match std::env::var("LEPTOS_HASH_FILES") {
        Ok(v) => v.trim().eq_ignore_ascii_case("true"),
        Err(_) => hash_list(options).is_file(),
    };
}

/// The hash list of the site at `site_root`: `target/site` has `target/site-hash.txt`
/// (`make build` passes that name to cargo-leptos).
pub fn hash_list_of(site_root: &str) -> PathBuf {
    PathBuf::from(format!("{}-hash.txt", site_root.trim_end_matches('/')))
}

/// Where Leptos reads the hash list: `options.hash_file`, relative to the binary's directory.
fn hash_list(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(&*options.hash_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(root: &str, hashed: bool) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("rekey")
            .site_root(root)
            .hash_files(hashed)
            .build()
    }

    #[test]
    fn plain_names_without_hashing() {
        let files = Files::named(&options("target/site", false)).unwrap();
        assert_eq!(files.js, "rekey.js");
        assert_eq!(files.css, "rekey.css");
        assert!(!files.hashed);
        assert_eq!(
            files.paths(&options("target/site", false))[0],
            "/pkg/rekey.js"
        );
    }

    #[test]
    fn hashed_names_come_from_the_build_list() {
        let dir = std::env::temp_dir().join(format!("rekey-hashes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let list = dir.join("hash.txt");
        let with_list = |text: &str| {
            std::fs::write(&list, text).unwrap();
            let mut o = options("target/site", true);
            // An absolute name replaces the binary's directory.
            o.hash_file = list.to_str().unwrap().into();
            Files::named(&o)
        };
        // What cargo-leptos 0.3 writes.
        let files = with_list("js: Ab-1_x\nwasm: Zz9\ncss: qq\n").unwrap();
        assert_eq!(files.js, "rekey.Ab-1_x.js");
        assert_eq!(files.wasm, "rekey.Zz9.wasm");
        assert_eq!(files.css, "rekey.qq.css");
        assert!(files.hashed);
        let err = with_list("js: a\nwasm: b\n").unwrap_err().to_string();
        assert!(err.contains("no css file"), "{err}");
        let err = with_list("js: a\nwasm: ../b\ncss: c\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no wasm file"), "{err}");
        std::fs::remove_file(&list).unwrap();
        let err = with_list_missing(&list);
        assert!(err.contains("make build"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn with_list_missing(list: &Path) -> String {
        let mut o = options("target/site", true);
        o.hash_file = list.to_str().unwrap().into();
        Files::named(&o).unwrap_err().to_string()
    }

    #[test]
    fn the_site_says_whether_its_names_are_hashed() {
        let dir = std::env::temp_dir().join(format!("rekey-built-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = dir.join("site");
        let root = root.to_str().unwrap();
        let mut o = options(root, true);
        prepare(&mut o);
        assert!(!o.hash_files, "no list, plain names");
        let list = dir.join("site-hash.txt");
        assert_eq!(hash_list_of(root), list);
        std::fs::write(&list, "js: j\nwasm: w\ncss: c\n").unwrap();
        let mut o = options(root, false);
        prepare(&mut o);
        assert!(o.hash_files);
        assert!(Path::new(&*o.hash_file).is_absolute());
        // Read where Leptos reads it: from the binary's directory, the absolute path winning.
        assert_eq!(hash_list(&o), list);
        assert_eq!(Files::named(&o).unwrap().wasm, "rekey.w.wasm");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = std::env::temp_dir().join(format!("rekey-site-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let root = dir.to_str().unwrap();
        let files = Files {
            js: "rekey.abc.js".into(),
            wasm: "rekey.def.wasm".into(),
            css: "rekey.ghi.css".into(),
            hashed: true,
        };
        for f in ["rekey.abc.js", "rekey.def.wasm"] {
            std::fs::write(dir.join("pkg").join(f), "x").unwrap();
        }
        let err = files.check(&options(root, true)).unwrap_err().to_string();
        assert!(err.contains("rekey.ghi.css is missing"), "{err}");
        assert!(err.contains("make build"), "{err}");
        std::fs::write(dir.join("pkg/rekey.ghi.css"), "x").unwrap();
        files.check(&options(root, true)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
