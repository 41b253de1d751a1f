//! The shared components in their states, from fixtures: the top of `/dev/gallery`.

use crate::components::{
    Checklist, FormAlert, PasswordInput, Slider, SliderFor, StrengthMeter, SubmitButton, TextField,
};
use crate::error::AccountError;
use crate::lang::{locale, td_string};
use domain::email::EmailError;
use domain::password::{rule_results, strength, Policy};
use leptos::prelude::*;

/// Passwords that show the meter at each score from 0 to 4 (by the real estimator).
const STRENGTH_FIXTURES: [&str; 6] = [
    "",
    "password1",
    "Tangerine7",
    "Tangerine77",
    "Summer2024",
    "Tangerine7Harbor",
];

#[component]
pub fn Components() -> impl IntoView {
    let alerts = [
        AccountError::Incorrect,
        AccountError::WrongCode { tries_left: 3 },
        AccountError::RecoveryCodeDead,
        AccountError::Locked { minutes: 15 },
        AccountError::CoolDown { seconds: 42 },
        AccountError::TooManyCodes,
        AccountError::SmsUnavailable,
        AccountError::Throttled { minutes: 5 },
        AccountError::ChallengeRequired,
        AccountError::Busy,
    ];
    let l = locale();
    view! {
            <section class="card gallery__section" id="fields" aria-labelledby="fields-title">
                <h2 class="card__subtitle" id="fields-title">"Fields: empty, invalid, password"</h2>
                <div class="form">
                    <TextField label=td_string!(l, field.email) name="gallery-email" error=Signal::derive(|| None::<String>) />
                    <TextField
                        label=td_string!(l, field.email)
                        name="gallery-bad-email"
                        error=Signal::derive(move || Some(texts::email_error(l, EmailError::Malformed).to_string()))
                    />
                    <TextField
                        label=td_string!(l, field.code)
                        hint=td_string!(l, field.code_hint)
                        name="gallery-code"
                        inputmode="numeric"
                        class="field__input--code"
                        error=Signal::derive(move || Some(AccountError::WrongCode { tries_left: 4 }.message(l)))
                    />
                    <PasswordInput label=td_string!(l, field.password) name="gallery-password" autocomplete="off" error=Signal::derive(|| None::<String>) />
                </div>
            </section>
            <section class="card gallery__section" id="strength" aria-labelledby="strength-title">
                <h2 class="card__subtitle" id="strength-title">"Strength meter"</h2>
                {STRENGTH_FIXTURES
                    .iter()
                    .map(|pw| {
                        let s = strength(pw, &["lin@example.com"]);
                        view! {
                            <div class="gallery__item">
                                <p class="gallery__caption">{format!("“{pw}” → {}", s.score)}</p>
                                <StrengthMeter strength=Signal::derive(move || s.clone()) />
                            </div>
                        }
                    })
                    .collect_view()}
            </section>
            <section class="card gallery__section" id="checklist" aria-labelledby="checklist-title">
                <h2 class="card__subtitle" id="checklist-title">"Checklist: partly met, all met"</h2>
                <Checklist policy=Policy::Shop rules=Signal::derive(|| rule_results(Policy::Shop, "tangerine", "lin@example.com")) />
                <Checklist policy=Policy::Shop rules=Signal::derive(|| rule_results(Policy::Shop, "Tangerine7Harbor", "lin@example.com")) />
            </section>
            <section class="card gallery__section" id="alerts" aria-labelledby="alerts-title">
                <h2 class="card__subtitle" id="alerts-title">"Alerts"</h2>
                <p class="alert alert--info">{td_string!(l, recover.expired_notice)}</p>
                {alerts
                    .into_iter()
                    .map(|e| view! { <FormAlert error=Signal::derive(move || Some(e.message(l))) /> })
                    .collect_view()}
            </section>
            <section class="card gallery__section" id="buttons" aria-labelledby="buttons-title">
                <h2 class="card__subtitle" id="buttons-title">"Buttons: idle, submitting, secondary, counting down"</h2>
                <div class="form">
                    <SubmitButton label=td_string!(l, recover.start.submit) />
                    <SubmitButton label=td_string!(l, recover.password.submit) busy=true />
                    <button type="button" class="button button--secondary">{td_string!(l, account.sign_out_everywhere)}</button>
                    <button type="button" class="button button--secondary" disabled=true>{td_string!(l, recover.code.resend_in, seconds = 42)}</button>
                </div>
            </section>
            <section class="card gallery__section" id="destination" aria-labelledby="destination-title">
                <h2 class="card__subtitle" id="destination-title">"Masked destination"</h2>
                <div class="destination">
                    <span class="destination__icon" aria-hidden="true">"✉"</span>
                    <span class="destination__text">
                        <span class="destination__label">{td_string!(l, recover.verify.email)}</span>
                        <strong class="destination__value">"l***n@example.com"</strong>
                    </span>
                </div>
            </section>
            <section class="card gallery__section" id="slider" aria-labelledby="slider-title">
                <h2 class="card__subtitle" id="slider-title">"Slider (idle; no challenge is fetched here)"</h2>
                <Slider purpose=SliderFor::Show />
            </section>
    }
    .into_any()
}
