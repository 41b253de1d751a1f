use super::{AtStep, RecoverCheck, RecoverSend};
use crate::components::{FormAlert, Page, SubmitButton, TextField};
use crate::error::{action_error, on_form, AccountError, Field};
use crate::lang::{link, locale, strong, td_string};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/code` (the e-mailed code) and `/recover/sms` (the texted one): the six digits,
/// tries left, and "Resend code" after a visible cool-down. At the SMS step the first screen
/// shows the masked number and "Send code by SMS".
#[component]
pub fn CodePage(#[prop(default = Step::Code)] screen: Step) -> impl IntoView {
    let sms = screen == Step::Sms;
    let check = ServerAction::<RecoverCheck>::new();
    let send = ServerAction::<RecoverSend>::new();
    if let Some(f) = crate::fixture::current() {
        crate::fixture::seed(check, f.error);
        crate::fixture::seed(send, f.send_error);
    }
    let check_error = action_error(check);
    let send_error = action_error(send);
    let l = locale();
    let title = if sms {
        td_string!(l, recover.code.title_sms)
    } else {
        td_string!(l, recover.code.title_email)
    };
    view! {
        <Page title=title>
            <AtStep
                screen=screen
                body=move |flow| {
                    let phone = flow.phone.clone().unwrap_or_default();
                    let first_send = sms && !flow.code_sent;
                    // A resend's answer comes back as this page: a new cool-down, or "too many".
                    let remaining = match send_error.get_untracked() {
                        Some(AccountError::CoolDown { seconds }) => seconds,
                        _ => flow.resend_in,
                    };
                    let can_send = flow.can_send
                        && !matches!(send_error.get_untracked(), Some(AccountError::TooManyCodes));
                    let dead = flow.code_dead
                        || matches!(check_error.get_untracked(), Some(AccountError::RecoveryCodeDead));
                    let still = crate::fixture::current().is_some();
                    // The page is drawn once, on the server: plain branches, nothing to watch.
                    if first_send {
                        return view! {
                            <p class="card__lead">
                                {strong(&td_string!(l, recover.code.sms_first, phone = phone, <b> = "b"))}
                            </p>
                            <FormAlert error=on_form(send_error, l) />
                            <ActionForm action=send attr:class="form">
                                <SubmitButton label=td_string!(l, recover.code.send_sms) />
                            </ActionForm>
                        }
                        .into_any();
                    }
                    let resend = if can_send {
                        view! {
                            <p class="resend__text" class:resend__text--urgent=dead>
                                {if dead {
                                    td_string!(l, recover.code.replaces)
                                } else {
                                    td_string!(l, recover.code.didnt_get)
                                }}
                            </p>
                            <FormAlert error=Signal::derive(move || {
                                send_error.get().and_then(|e| match e {
                                    // The button below counts the seconds down: a number here
                                    // would stand still beside it.
                                    AccountError::CoolDown { .. } => {
                                        Some(td_string!(l, error.cool_down_counting).to_string())
                                    }
                                    e => e.for_form(l),
                                })
                            }) />
                            <ActionForm action=send attr:class="form form--inline">
                                <ResendButton remaining=remaining lead=dead still=still />
                            </ActionForm>
                            {(remaining != 0).then(|| view! {
                                <noscript>
                                    <p class="resend__hint">{td_string!(l, recover.code.reload_hint)}</p>
                                </noscript>
                            })}
                        }
                        .into_any()
                    } else {
                        view! { <p class="resend__text">{td_string!(l, error.too_many_codes)}</p> }
                            .into_any()
                    };
                    view! {
                        <p class="card__lead">
                            {if sms {
                                strong(&td_string!(l, recover.code.sent_sms, phone = phone, <b> = "b"))
                                    .into_any()
                            } else {
                                strong(&td_string!(l, recover.code.sent_email, masked = flow.masked.clone(), <b> = "b"))
                                    .into_any()
                            }}
                        </p>
                        <FormAlert error=on_form(check_error, l) />
                        <ActionForm action=check attr:class="form" attr:novalidate=true>
                            <TextField
                                label=td_string!(l, field.code)
                                name="code"
                                inputmode="numeric"
                                autocomplete="one-time-code"
                                maxlength=12
                                class="field__input--code"
                                hint=td_string!(l, field.code_hint)
                                error=Signal::derive(move || {
                                    check_error
                                        .get()
                                        .and_then(|e| e.for_field(Field::Code, l))
                                        .or_else(|| {
                                            (dead && check_error.get().is_none())
                                                .then(|| AccountError::RecoveryCodeDead.message(l))
                                        })
                                })
                            />
                            // A dead code: "Resend code" below is the way on, drawn as the main button.
                            <SubmitButton label=td_string!(l, recover.code.submit) secondary=dead && can_send />
                        </ActionForm>
                        <div class="resend">{resend}</div>
                    }
                    .into_any()
                }
            />
            // The texted code goes to the number on file: starting again would not change it
            // (the footer's "Contact support" is the way out there).
            {(!sms)
                .then(|| {
                    view! {
                        <p class="form-links">
                            {link(&td_string!(l, recover.code.wrong_address, <a> = "a"), "/recover")}
                        </p>
                    }
                })}
        </Page>
    }
}

/// "Resend code", disabled while its cool-down counts down to zero on screen (the island:
/// the form around it is a plain post). `lead` draws it as the main button, when the code can
/// no longer be used; the gallery shows the countdown `still`.
#[island]
fn ResendButton(remaining: i64, lead: bool, still: bool) -> impl IntoView {
    let remaining = RwSignal::new(remaining);
    if !still {
        count_down(remaining);
    }
    // Until the WebAssembly runs, `disabled` keeps the form from posting too soon. Then the
    // button stays in the tab order while it counts (`aria-disabled`; a press does nothing), so
    // a keyboard or screen-reader user reaches it and hears how long is left.
    let ready = crate::components::hydrated();
    let counting = move || remaining.get() > 0;
    let l = locale();
    view! {
        <button
            type="submit"
            class=if lead { "button button--primary" } else { "button button--secondary" }
            disabled=move || counting() && !ready.get()
            aria-disabled=move || (counting() && ready.get()).then_some("true")
            on:click=move |ev| {
                if remaining.get_untracked() > 0 {
                    ev.prevent_default();
                }
            }
        >
            {move || match remaining.get() {
                0 => td_string!(l, recover.code.resend).to_string(),
                seconds => td_string!(l, recover.code.resend_in, seconds),
            }}
        </button>
    }
}

/// Counts `remaining` down to zero once a second, in the browser only.
fn count_down(remaining: RwSignal<i64>) {
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if remaining.get_untracked() > 0 {
                    remaining.update(|s| *s -= 1);
                }
            },
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
}
