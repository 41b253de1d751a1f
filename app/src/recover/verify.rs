use super::{AtStep, RecoverSend};
use crate::components::{FormAlert, Page, SubmitButton};
use crate::error::{action_error, on_form};
use crate::lang::{link, locale, strong, td_string};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/verify`: the masked address and "Verify now", then "Send me a verification code".
///
/// "Verify now" is a plain GET form (`?method=email`), so it works before the WebAssembly has
/// loaded; the address shown is masked from what was typed, so it reveals nothing.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let send = ServerAction::<RecoverSend>::new();
    crate::fixture::seed(send, crate::fixture::current().and_then(|f| f.send_error));
    let error = action_error(send);
    let method = crate::fixture::query("method");
    let chosen = move || method.get().as_deref() == Some("email");
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.verify.title)>
            <AtStep
                screen=Step::Verify
                body=move |flow| {
                    let masked = flow.masked.clone();
                    view! {
                        <super::SecuredNotice />
                        <p class="card__lead">{td_string!(l, recover.verify.lead)}</p>
                        <div class="destination">
                            <span class="destination__icon" aria-hidden="true">"✉"</span>
                            <span class="destination__text">
                                <span class="destination__label">{td_string!(l, recover.verify.email)}</span>
                                <strong class="destination__value">{masked.clone()}</strong>
                            </span>
                        </div>
                        <FormAlert error=on_form(error, l) />
                        <Show
                            when=chosen
                            fallback=move || {
                                view! {
                                    <form class="form" method="get" action="/recover/verify">
                                        <input type="hidden" name="method" value="email" />
                                        <button type="submit" class="button button--primary">
                                            {td_string!(l, recover.verify.now)}
                                        </button>
                                    </form>
                                }
                            }
                        >
                            <p class="verify__explain">
                                {strong(&td_string!(l, recover.verify.explain, masked = masked.clone(), <b> = "b"))}
                            </p>
                            <ActionForm action=send attr:class="form">
                                <SubmitButton label=td_string!(l, recover.verify.send) />
                            </ActionForm>
                        </Show>
                    }
                }
            />
            <p class="form-links">
                {link(&td_string!(l, recover.verify.not_yours, <a> = "a"), "/recover")}
            </p>
        </Page>
    }
}
