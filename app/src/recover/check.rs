use super::AtStep;
use crate::components::{Page, Slider, SliderFor};
use crate::lang::{link, locale, td_string};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/check`: the slider, shown only when the server asks for it.
#[component]
pub fn CheckPage() -> impl IntoView {
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.check.title)>
            <AtStep
                screen=Step::Challenge
                body=move |_| {
                    view! {
                        <super::SecuredNotice />
                        <super::AgainNotice />
                        <p class="card__lead">{td_string!(l, recover.check.lead)}</p>
                        <Slider purpose=SliderFor::Recovery />
                    }
                }
            />
            <p class="form-links">
                {link(&td_string!(l, recover.check.not_yours, <a> = "a"), "/recover")}
            </p>
        </Page>
    }
}
