use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a field checks by itself in the browser when it loses focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Live {
    /// That it reads as an e-mail address.
    Email,
}

/// A labelled input with a hint and an error tied to it for screen readers.
#[component]
pub fn TextField(
    label: &'static str,
    /// The form field name (and the server function argument it fills).
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    /// An extra class for the input (e.g. the large code input).
    #[prop(optional)]
    class: Option<&'static str>,
    /// The error from the server (the page is drawn once, on the server).
    #[prop(into)]
    error: Signal<Option<String>>,
    /// A check the field makes by itself when it loses focus.
    #[prop(optional)]
    live: Option<Live>,
) -> impl IntoView {
    let error = error.get_untracked();
    let field = TextSpec {
        label: label.to_string(),
        name: name.to_string(),
        input_type: input_type.to_string(),
        autocomplete: autocomplete.to_string(),
        inputmode: inputmode.map(str::to_string),
        hint: hint.map(str::to_string),
        maxlength,
        class: class.map(str::to_string),
        focus: takes_focus(&error),
        error,
        typed: crate::fixture::typed(name),
        live,
    };
    view! { <TextInput field=field /> }
}

/// Everything a [`TextInput`] island is drawn from (its props travel to the browser as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TextSpec {
    label: String,
    name: String,
    input_type: String,
    autocomplete: String,
    inputmode: Option<String>,
    hint: Option<String>,
    maxlength: Option<usize>,
    class: Option<String>,
    error: Option<String>,
    typed: Option<String>,
    live: Option<Live>,
    /// The form came back with an error here: the focus starts in this field.
    focus: bool,
}

/// Whether a field with this error from the server takes the focus when the page loads (the
/// first such field does; the gallery's fixtures never take it).
pub(crate) fn takes_focus(error: &Option<String>) -> bool {
    error.is_some() && crate::fixture::current().is_none()
}

/// The input of a [`TextField`], hydrated: it checks itself on blur, and it keeps what was
/// typed across the page load after a form comes back with an error.
#[island]
fn TextInput(field: TextSpec) -> impl IntoView {
    let TextSpec {
        label,
        name,
        input_type,
        autocomplete,
        inputmode,
        hint,
        maxlength,
        class,
        error,
        typed,
        live,
        focus,
    } = field;
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    let l = crate::lang::locale();
    let live_error = RwSignal::new(None::<String>);
    let error = Signal::derive(move || live_error.get().or_else(|| error.clone()));
    let input = NodeRef::<leptos::html::Input>::new();
    super::keep_across_errors(input, &name);
    let check = move |typed: String| {
        if live == Some(Live::Email) {
            live_error.set(match typed.trim() {
                "" => None,
                t => domain::Email::parse(t)
                    .err()
                    .map(|e| texts::email_error(l, e).to_string()),
            });
        }
    };
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for=id.clone()>
                {label}
            </label>
            {hint.map(|h| view! { <p class="field__hint" id=hint_id.clone()>{h}</p> })}
            <input
                node_ref=input
                class=match class {
                    Some(extra) => format!("field__input {extra}"),
                    None => "field__input".to_string(),
                }
                id=id
                name=name.clone()
                type=input_type
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength
                value=typed
                autofocus=focus
                aria-describedby=described_by
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                on:input:target={
                    let name = name.clone();
                    move |ev| super::remember(&name, &ev.target().value())
                }
                on:blur:target=move |ev| check(ev.target().value())
            />
            <FieldError id=error_id error=error />
        </div>
    }
}

/// The error line under a field: always present (inputs point at it with `aria-describedby`),
/// empty when there is nothing to say, announced politely when it changes.
#[component]
pub fn FieldError(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="field__error" id=id aria-live="polite">
            {move || error.get()}
        </p>
    }
}

/// A message about the whole form (not one field), announced when it appears.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    // A form that came back with an error for the whole form ("Incorrect e-mail or password")
    // starts with the focus on it: a screen reader reads it, and the keyboard starts above the
    // fields to correct (the gallery's fixtures never take the focus).
    let focus = crate::fixture::current().is_none();
    view! {
        <div class="alert-slot" role="alert">
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="alert alert--error" tabindex="-1" autofocus=focus>
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The form's main button; marked busy from the moment its form is sent until the next page
/// arrives (the form is a plain post). `busy` draws it busy from the start (the gallery's
/// "submitting" specimens). `danger` draws it in the warning colour, for an action that signs
/// people out or cancels something; `secondary` as a second choice, when another button on the
/// page is the way on (a dead code's "Submit" under "Resend code").
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(optional)] busy: bool,
    #[prop(optional)] danger: bool,
    #[prop(optional)] secondary: bool,
) -> impl IntoView {
    let busy = busy || crate::fixture::submitting();
    let class = if danger {
        "button button--danger"
    } else if secondary {
        "button button--secondary"
    } else {
        "button button--primary"
    };
    view! { <SendButton label=label.to_string() busy=busy class=class.to_string() /> }
}

/// The island of a [`SubmitButton`]: it listens for its form being sent.
#[island]
fn SendButton(label: String, busy: bool, class: String) -> impl IntoView {
    let busy = RwSignal::new(busy);
    let button = NodeRef::<leptos::html::Button>::new();
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{closure::Closure, JsCast};
        use std::{cell::Cell, rc::Rc};
        // When the form was sent, while its answer is awaited. A second send meanwhile (a
        // double tap, Enter pressed twice) is dropped: the server would take both, counting two
        // failed sign-ins, or sending a code and then answering "wait 60 seconds". After
        // `AGAIN_AFTER_MS` without an answer (the shopper may have stopped the page) a send
        // goes through again.
        const AGAIN_AFTER_MS: f64 = 10_000.0;
        let sent_at = Rc::new(Cell::new(None::<f64>));
        let listening = Rc::new(Cell::new(false));
        let now = || window().performance().map_or(0.0, |p| p.now());
        Effect::new({
            let sent_at = sent_at.clone();
            move |_| {
                let Some(form) = button.get().and_then(|b| b.form()) else {
                    return;
                };
                if listening.replace(true) {
                    return;
                }
                let sent_at = sent_at.clone();
                let sent = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
                    let at = now();
                    if sent_at.get().is_some_and(|then| at - then < AGAIN_AFTER_MS) {
                        ev.prevent_default();
                        return;
                    }
                    sent_at.set(Some(at));
                    busy.set(true);
                });
                let _ =
                    form.add_event_listener_with_callback("submit", sent.as_ref().unchecked_ref());
                // Lives as long as the page (the form is never removed).
                sent.forget();
            }
        });
        // Back from the browser's page cache, the form is ready again.
        let shown = window_event_listener(leptos::ev::pageshow, move |_| {
            sent_at.set(None);
            busy.set(false);
        });
        on_cleanup(move || shown.remove());
    }
    view! {
        <button
            node_ref=button
            type="submit"
            class=class
            aria-busy=move || if busy.get() { "true" } else { "false" }
            aria-disabled=move || if busy.get() { "true" } else { "false" }
        >
            {label}
        </button>
    }
}
