//! Property tests of the slider's answer parser and judge: any bytes, any numbers (NaN,
//! infinities, huge), any number of samples — never a panic, and a movement with a
//! non-finite number never passes. `make proptest` runs many more cases.

use backend::slider::{judge, Mode, Movement, Sample, Tier};
use proptest::prelude::*;

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        -1e6..1e6f64,
        prop::num::f64::ANY,
    ]
}

fn movement() -> impl Strategy<Value = Movement> {
    (
        prop::sample::select(vec![Mode::Drag, Mode::Keyboard, Mode::Tap]),
        any::<bool>(),
        prop::collection::vec((any_number(), any_number(), any_number()), 0..600),
        prop::collection::vec(any_number(), 0..600),
        (any_number(), any_number(), any_number(), any_number()),
        (any_number(), any_number(), any_number()),
    )
        .prop_map(
            |(mode, trusted, samples, keys, (a, b, c, d), (e, f, g))| Movement {
                mode,
                pointer: "mouse".into(),
                trusted,
                shown_to_press: a,
                press_offset: b,
                travel: c,
                handle: d,
                samples: samples
                    .into_iter()
                    .map(|(t, x, y)| Sample { t, x, y })
                    .collect(),
                release: e,
                keys,
                value: f,
                tap_x: g,
            },
        )
}

proptest! {
    #[test]
    fn the_judge_never_panics(m in movement()) {
        let normal = judge(&m, Tier::Normal);
        let harder = judge(&m, Tier::Harder);
        // The harder tier never passes what the normal one refuses.
        prop_assert!(normal || !harder);
        let finite = m.samples.iter().all(|s| s.t.is_finite() && s.x.is_finite() && s.y.is_finite());
        if !finite {
            prop_assert!(!normal);
        }
    }

    #[test]
    fn any_text_parses_or_is_refused(text in ".{0,2000}") {
        let _ = serde_json::from_str::<Movement>(&text);
    }

    #[test]
    fn answers_with_wild_numbers_parse_or_are_refused(t in any::<f64>(), x in any::<f64>(), n in 0usize..3000) {
        // serde_json writes non-finite numbers as null, which the parser refuses.
        let samples: Vec<_> = (0..n).map(|i| serde_json::json!({"t": t + i as f64, "x": x, "y": 0})).collect();
        let json = serde_json::json!({
            "mode": "drag", "trusted": true, "shown_to_press": 900, "travel": 300, "handle": 48,
            "samples": samples, "release": t,
        });
        if let Ok(m) = serde_json::from_str::<Movement>(&json.to_string()) {
            let _ = judge(&m, Tier::Normal);
            prop_assert!(m.samples.len() <= 400 || !judge(&m, Tier::Normal));
        }
    }
}
