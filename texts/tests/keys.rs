//! Every language has every key, with the same `{{ variables }}` and inline tags, and a form
//! for each plural category the language uses.
//!
//! The build already refuses a key missing from English; a key missing from another language
//! would only warn and fall back to English, so this test makes it a failure.

use std::collections::{BTreeMap, BTreeSet};

const LANGUAGES: [&str; 7] = ["en", "zh", "es", "ru", "pt-BR", "fr", "ar"];
const PLURAL: [&str; 6] = ["_zero", "_one", "_two", "_few", "_many", "_other"];

fn load(lang: &str) -> serde_json::Value {
    let path = format!("{}/locales/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Leaf key path → value.
fn leaves(value: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(v, &path, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => panic!("{prefix}: not a string: {other}"),
    }
}

/// The key without its plural suffix, and the suffix.
fn split_plural(key: &str) -> (&str, Option<&str>) {
    for suffix in PLURAL {
        if let Some(base) = key.strip_suffix(suffix) {
            return (base, Some(suffix));
        }
    }
    (key, None)
}

/// `{{ name }}`s and tag names in a value.
fn marks(value: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = value;
    while let Some(i) = rest.find("{{") {
        let Some(j) = rest[i..].find("}}") else { break };
        found.insert(rest[i + 2..i + j].trim().to_string());
        rest = &rest[i + j + 2..];
    }
    for tag in ["<a>", "</a>", "<b>", "</b>"] {
        if value.contains(tag) {
            found.insert(tag.to_string());
        }
    }
    found
}

/// Base key → (plural suffixes present, marks of every form, `count` aside).
fn table(lang: &str) -> BTreeMap<String, (BTreeSet<&'static str>, BTreeSet<String>)> {
    let mut flat = BTreeMap::new();
    leaves(&load(lang), "", &mut flat);
    let mut out: BTreeMap<String, (BTreeSet<&'static str>, BTreeSet<String>)> = BTreeMap::new();
    for (key, value) in &flat {
        let (base, suffix) = split_plural(key);
        let entry = out.entry(base.to_string()).or_default();
        if let Some(s) = suffix {
            entry.0.insert(
                PLURAL
                    .iter()
                    .find(|p| **p == s)
                    .copied()
                    .unwrap_or("_other"),
            );
        }
        entry
            .1
            .extend(marks(value).into_iter().filter(|m| m != "count"));
    }
    out
}

/// The cardinal plural categories each language uses for whole numbers (CLDR).
fn categories(lang: &str) -> &'static [&'static str] {
    match lang {
        "zh" => &["_other"],
        "ru" => &["_one", "_few", "_many", "_other"],
        "ar" => &["_zero", "_one", "_two", "_few", "_many", "_other"],
        _ => &["_one", "_other"],
    }
}

#[test]
fn every_key_exists_in_every_language() {
    let english = table("en");
    assert!(english.len() > 200, "the English file looks cut short");
    for lang in LANGUAGES {
        let other = table(lang);
        let missing: Vec<_> = english.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang} has keys English does not: {extra:?}"
        );
        for (key, (plurals, marks)) in &english {
            let (their_plurals, their_marks) = &other[key];
            assert_eq!(
                marks, their_marks,
                "{lang}.{key}: other {{{{ variables }}}} or tags than English"
            );
            if !plurals.is_empty() {
                // leptos_i18n only sees a plural key with two forms or more (a lone `_other`
                // would be a plain key, and the language would fall back to English).
                assert!(
                    their_plurals.len() >= 2,
                    "{lang}.{key}: give at least two forms (Chinese repeats `_other` as `_one`)"
                );
                for category in categories(lang) {
                    assert!(
                        their_plurals.contains(category),
                        "{lang}.{key} lacks the plural form {category}"
                    );
                }
            } else {
                assert!(
                    their_plurals.is_empty(),
                    "{lang}.{key} is plural, English is not"
                );
            }
        }
    }
}

#[test]
fn the_generated_module_knows_every_language() {
    let codes: Vec<_> = texts::all().iter().map(|l| texts::code(*l)).collect();
    assert_eq!(codes, LANGUAGES);
}
