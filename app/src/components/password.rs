use super::{hydrated, FieldError};
use crate::lang::{locale, td_string};
use domain::password::{rule_results, strength, Policy, RuleResult, Strength};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A password input with a show/hide button whose name says what a press does.
#[component]
pub fn PasswordInput(
    label: &'static str,
    name: &'static str,
    /// `current-password` for sign-in, `new-password` for a new one (password managers).
    autocomplete: &'static str,
    /// The error from the server (the page is drawn once, on the server).
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! { <PasswordBox field=PasswordSpec::drawn(label, name, autocomplete, error) /> }
}

/// What a password field is drawn from (an island's props, sent to the browser as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PasswordSpec {
    label: String,
    name: String,
    autocomplete: String,
    error: Option<String>,
    typed: Option<String>,
    /// The form came back with an error here: the focus starts in this field.
    focus: bool,
}

impl PasswordSpec {
    /// On the server: the field with the error the page came back with.
    fn drawn(label: &str, name: &str, autocomplete: &str, error: Signal<Option<String>>) -> Self {
        let error = error.get_untracked();
        Self {
            label: label.to_string(),
            name: name.to_string(),
            autocomplete: autocomplete.to_string(),
            focus: super::field::takes_focus(&error),
            error,
            typed: crate::fixture::typed(name),
        }
    }
}

/// The island of a [`PasswordInput`]: the show/hide toggle works in the browser.
#[island]
fn PasswordBox(field: PasswordSpec) -> impl IntoView {
    let value = RwSignal::new(field.typed.clone().unwrap_or_default());
    view! { <PasswordControl field=field value=value described_by=None /> }
}

/// The input and its toggle, inside an island; `value` follows what is typed.
#[component]
fn PasswordControl(
    field: PasswordSpec,
    value: RwSignal<String>,
    /// Extra ids the input is described by (the checklist and meter).
    described_by: Option<&'static str>,
) -> impl IntoView {
    let PasswordSpec {
        label,
        name,
        autocomplete,
        error,
        typed,
        focus,
    } = field;
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let described = match described_by {
        Some(extra) => format!("{error_id} {extra}"),
        None => error_id.clone(),
    };
    let shown = RwSignal::new(false);
    let ready = hydrated();
    let error = Signal::derive(move || error.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    super::keep_typed(input, value);
    let l = locale();
    let (show, hide) = (td_string!(l, field.show), td_string!(l, field.hide));
    let named = label.to_lowercase();
    let (show_named, hide_named) = (
        td_string!(l, field.show_named, label = named.clone()),
        td_string!(l, field.hide_named, label = named),
    );
    // Said once the button was used, never on load (GOV.UK's password input does the same).
    let toggled = RwSignal::new(false);
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for=id.clone()>
                {label}
            </label>
            <div class="password-input">
                <input
                    node_ref=input
                    class="field__input password-input__input"
                    id=id.clone()
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    autocapitalize="off"
                    spellcheck="false"
                    value=typed
                    autofocus=focus
                    aria-describedby=described
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                        on:input:target=move |ev| value.set(ev.target().value())
                />
                // The name says what a press does, as the visible word does ("Hide" is in
                // "Hide password": WCAG 2.5.3), so no aria-pressed, whose state would contradict
                // a name that changes; the status below says what happened.
                <button
                    type="button"
                    class="password-input__toggle"
                    aria-controls=id
                    hidden=move || !ready.get()
                    on:click=move |_| {
                        shown.update(|s| *s = !*s);
                        toggled.set(true);
                    }
                >
                    <span aria-hidden="true">{move || if shown.get() { hide } else { show }}</span>
                    <span class="visually-hidden">
                        {move || if shown.get() { hide_named.clone() } else { show_named.clone() }}
                    </span>
                </button>
                <span class="visually-hidden" aria-live="polite">
                    {move || {
                        toggled
                            .get()
                            .then(|| {
                                if shown.get() {
                                    td_string!(l, field.shown_status)
                                } else {
                                    td_string!(l, field.hidden_status)
                                }
                            })
                    }}
                </span>
            </div>
            <FieldError id=error_id error=error />
        </div>
    }
}

/// The live list of password rules; each item says in words whether it is met.
#[component]
pub fn Checklist(
    #[prop(into)] rules: Signal<Vec<RuleResult>>,
    #[prop(into)] policy: Signal<Policy>,
) -> impl IntoView {
    let l = locale();
    view! {
        <ul class="checklist" id="password-rules" aria-label=td_string!(l, password.rules)>
            {move || {
                let policy = policy.get();
                rules
                    .get()
                    .into_iter()
                    .map(|rule| {
                        let state = if rule.met {
                            td_string!(l, password.rule_met)
                        } else {
                            td_string!(l, password.rule_not_met)
                        };
                        view! {
                            <li class="checklist__item" class:checklist__item--met=rule.met>
                                <span class="checklist__mark" aria-hidden="true">
                                    {if rule.met { "✓" } else { "•" }}
                                </span>
                                {texts::rule_label(l, rule.id, policy)}
                                <span class="visually-hidden">{format!(": {state}")}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// The strength meter: a bar for the eye and a sentence for everyone.
#[component]
pub fn StrengthMeter(#[prop(into)] strength: Signal<Strength>) -> impl IntoView {
    let l = locale();
    let said = move || texts::feedback(l, strength.get().feedback);
    view! {
        <div class="meter" id="password-strength">
            <div class="meter__track" aria-hidden="true">
                <div class=move || format!("meter__bar meter__bar--s{}", strength.get().score)></div>
            </div>
            <p class="meter__text">
                <strong class="meter__label">
                    {move || {
                        let label = texts::strength_label(l, strength.get().score);
                        td_string!(l, password.strength, label)
                    }}
                </strong>
                " "
                <span class="meter__reason">{move || said().0}</span>
                " "
                <span class="meter__hint">{move || said().1}</span>
            </p>
        </div>
    }
}

/// A new-password input with its live checklist and strength meter, judged by the same rules
/// the server enforces.
#[component]
pub fn NewPasswordField(
    /// The label; "Password" when not given.
    #[prop(optional)]
    label: Option<&'static str>,
    name: &'static str,
    #[prop(into)] policy: Signal<Policy>,
    /// The account's e-mail when the server knows it (the password may not be it); without
    /// it, what is typed into the page's e-mail field.
    #[prop(optional)]
    email: Option<String>,
    /// The error from the server (the page is drawn once, on the server).
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| td_string!(locale(), field.password));
    view! {
        <NewPassword
            field=PasswordSpec::drawn(label, name, "new-password", error)
            policy=policy.get_untracked()
            email=email
        />
    }
}

/// The island of a [`NewPasswordField`]: the checklist and meter follow the typing.
#[island]
fn NewPassword(field: PasswordSpec, policy: Policy, email: Option<String>) -> impl IntoView {
    let value = RwSignal::new(field.typed.clone().unwrap_or_default());
    // Read when the password changes: the e-mail field is another island of the same form.
    let email = move || {
        email
            .clone()
            .unwrap_or_else(|| super::input_value("field-email"))
    };
    let rules = Signal::derive({
        let email = email.clone();
        move || rule_results(policy, &value.get(), &email())
    });
    let strength = Signal::derive(move || {
        let email = email();
        strength(&value.get(), &[email.as_str()])
    });
    view! {
        <PasswordControl
            field=field
            value=value
            described_by=Some("password-rules password-strength")
        />
        <StrengthMeter strength=strength />
        <Checklist rules=rules policy=policy />
    }
}
