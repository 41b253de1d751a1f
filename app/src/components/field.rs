use leptos::prelude::*;

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
    /// The current error, from live checks or from the server.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Bound to the input's value, so other parts of the page can react while typing.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// Run when the field loses focus, with its value (live validation).
    #[prop(optional, into)]
    on_blur: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    let value = value.unwrap_or_else(|| RwSignal::new(String::new()));
    let typed = crate::fixture::typed(name);
    if let Some(t) = typed.clone() {
        value.set(t);
    }
    let input = NodeRef::<leptos::html::Input>::new();
    super::keep_typed(input, value);
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
                name=name
                type=input_type
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength
                value=typed
                aria-describedby=described_by
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                on:input:target=move |ev| value.set(ev.target().value())
                on:blur:target=move |ev| {
                    if let Some(cb) = on_blur {
                        cb.run(ev.target().value());
                    }
                }
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
    view! {
        <div class="alert-slot" role="alert">
            {move || error.get().map(|message| view! { <p class="alert alert--error">{message}</p> })}
        </div>
    }
}

/// The form's main button; marked busy while the request runs. `danger` draws it in the
/// warning colour, for an action that signs people out or cancels something.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let pending = if crate::fixture::submitting() {
        Signal::derive(|| true)
    } else {
        pending
    };
    view! {
        <button
            type="submit"
            class=if danger { "button button--danger" } else { "button button--primary" }
            aria-busy=move || if pending.get() { "true" } else { "false" }
            aria-disabled=move || if pending.get() { "true" } else { "false" }
        >
            {label}
        </button>
    }
}
