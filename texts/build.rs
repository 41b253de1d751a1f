//! Compiles `locales/*.json` into the `i18n` module: a `Locale` enum and one typed accessor per
//! key, so a missing or misspelt key, or a missing `{{ variable }}`, fails the build.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("no OUT_DIR")?).join("i18n");
    let options = ParseOptions::default().interpolate_display(true);
    let cfg = Config::new("en")?
        .add_locales(["zh", "es", "ru", "pt-BR", "fr", "ar"])?
        .parse_options(options);
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    Ok(())
}
