//! A short, language-neutral name for a browser from its `User-Agent`: "Firefox · Android".
//!
//! Only what a shopper recognises on the activity page: the browser family and the operating
//! system, no versions. Both are names that stay the same in every language; the words around
//! them ("on", "Unknown browser") are added when shown (`texts::browser`).

/// The browser and the system a request came from, as far as its `User-Agent` tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agent {
    pub browser: Option<String>,
    pub system: Option<String>,
}

/// Between browser and system in the stored form.
const SEPARATOR: &str = " · ";

impl Agent {
    /// Reads the stored form ([`describe`]).
    pub fn parse(stored: &str) -> Agent {
        let name = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        match stored.split_once(SEPARATOR) {
            Some((b, s)) => Agent {
                browser: name(b),
                system: name(s),
            },
            None => Agent {
                browser: name(stored),
                system: None,
            },
        }
    }
}

/// The stored form: "Browser · System", "Browser", " · System", or "" when nothing is known.
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent.trim();
    match (browser(ua), system(ua)) {
        (Some(b), Some(s)) => format!("{b}{SEPARATOR}{s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("{SEPARATOR}{s}"),
        (None, None) => String::new(),
    }
}

/// The browser family; order matters, as most agents also claim to be the ones before them.
fn browser(ua: &str) -> Option<&'static str> {
    const FAMILIES: [(&str, &str); 12] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
    ];
    if let Some((_, name)) = FAMILIES.iter().find(|(token, _)| ua.contains(token)) {
        return Some(name);
    }
    if ua.contains("Safari/") && ua.contains("Version/") {
        return Some("Safari");
    }
    // Scripts go by their own names.
    if ua.starts_with("curl/") {
        return Some("curl");
    }
    if ua.starts_with("Wget/") {
        return Some("Wget");
    }
    if ua.contains("python-requests") {
        return Some("Python");
    }
    None
}

fn system(ua: &str) -> Option<&'static str> {
    Some(if ua.contains("iPhone") {
        "iPhone"
    } else if ua.contains("iPad") {
        "iPad"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::{describe, Agent};

    #[test]
    fn common_browsers() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome · Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", "Edge · Windows"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari · iPhone"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1", "Chrome · iPhone"),
            ("Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", "Firefox · Android"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet · Android"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari · macOS"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox · Linux"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", "Chrome · Linux"),
            ("curl/8.5.0", "curl"),
            ("", ""),
            ("something odd", ""),
        ];
        for (ua, want) in cases {
            assert_eq!(describe(ua), want, "{ua}");
            let parsed = Agent::parse(want);
            assert_eq!(parsed.browser.is_some(), !want.is_empty(), "{want}");
        }
        assert_eq!(
            Agent::parse(" · Android"),
            Agent {
                browser: None,
                system: Some("Android".into())
            }
        );
    }
}
