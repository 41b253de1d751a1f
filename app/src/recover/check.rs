use super::{recover_challenge, recover_challenge_answer, AtStep};
use crate::components::{Fetch, Later, Page, Slider, SliderAnswer, Submit};
use crate::lang::{link, locale, td_string};
use domain::recovery::Step;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use std::sync::Arc;

/// `/recover/check`: the slider, shown only when the server asks for it.
#[component]
pub fn CheckPage() -> impl IntoView {
    let navigate = use_navigate();
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.check.title)>
            <AtStep
                screen=Step::Challenge
                body=move |_| {
                    let navigate = navigate.clone();
                    view! {
                        <super::SecuredNotice />
                        <p class="card__lead">{td_string!(l, recover.check.lead)}</p>
                        <Slider
                            fetch=Arc::new(|| {
                                Box::pin(async { recover_challenge().await.ok().flatten() }) as Later<Option<domain::pow::Puzzle>>
                            }) as Fetch
                            submit=Arc::new(move |a: SliderAnswer| {
                                let navigate = navigate.clone();
                                Box::pin(async move {
                                    let extra = a.extra_nonce.map(|n| n.to_string()).unwrap_or_default();
                                    let passed = matches!(
                                        recover_challenge_answer(a.token, a.movement, a.nonce, extra).await,
                                        Ok(true)
                                    );
                                    if passed {
                                        navigate(Step::Verify.path(), Default::default());
                                    }
                                    passed
                                }) as Later<bool>
                            }) as Submit
                        />
                    }
                }
            />
            <p class="form-links">
                {link(&td_string!(l, recover.check.not_yours, <a> = "a"), "/recover")}
            </p>
        </Page>
    }
}
