use super::AtStep;
use crate::components::Page;
use crate::lang::{locale, td_string};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/done`: the password was changed; sign in again (never automatically).
#[component]
pub fn DonePage() -> impl IntoView {
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.done.title)>
            <AtStep
                screen=Step::Done
                body=move |_| {
                    view! {
                        <p class="card__lead">{td_string!(l, recover.done.lead)}</p>
                        <a class="button button--primary" href="/login">{td_string!(l, recover.done.sign_in)}</a>
                    }
                }
            />
        </Page>
    }
}
