//! What a page shows when the gallery renders it from fixture data instead of asking the
//! server. The gallery provides a [`Fixture`] as context around a real page; the page and its
//! components read it through the helpers here, so the gallery never needs copies of them.
//! Outside the gallery there is no fixture and every helper falls back to the live source.

use crate::components::SliderState;
use crate::error::AccountError;
use domain::recovery::FlowView;
use domain::Policy;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

/// One state of one screen.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// The recovery flow the screen is shown for.
    pub flow: Option<FlowView>,
    /// The last answer of the page's main form.
    pub error: Option<AccountError>,
    /// The last answer of "Send code" / "Resend code".
    pub send_error: Option<AccountError>,
    /// Query parameters of the address (`notice`, `expired`, `method`).
    pub query: &'static [(&'static str, &'static str)],
    /// What was typed into fields, by field name.
    pub typed: &'static [(&'static str, &'static str)],
    /// The masked address a pending sign-up waits on (`/register/confirm`).
    pub pending_signup: Option<&'static str>,
    /// The slider's state, where its handle stands (0 to 1), and whether it has the focus.
    pub slider: Option<(SliderState, f64, bool)>,
    /// Buttons of the page's main form show "submitting".
    pub submitting: bool,
    /// What a "This wasn't me" link reports (`None`: the link was used or expired).
    pub report: Option<crate::account::Reported>,
    /// The events `/account/activity` lists.
    pub activity: Option<crate::account::Activity>,
    /// The signed-in account `/account` shows.
    pub account: Option<AccountFixture>,
}

/// What `/account` shows: who is signed in, the phone on file, the signed-in browsers.
#[derive(Debug, Clone)]
pub struct AccountFixture {
    pub email: String,
    pub phone: Option<String>,
    pub sessions: Vec<domain::account::Session>,
}

/// The fixture the current screen is rendered from, if it is in the gallery.
pub fn current() -> Option<Fixture> {
    use_context::<Fixture>()
}

/// Gives `action` the fixture's answer as if it had just come back from the server.
pub fn seed<I>(action: ServerAction<I>, error: Option<AccountError>)
where
    I: ServerFn<Error = AccountError> + Clone + Send + Sync + 'static,
    I::Output: Clone + Send + Sync + 'static,
{
    if let Some(e) = error {
        action.value().set(Some(Err(e)));
    }
}

/// A query parameter of the address, or of the fixture in the gallery.
pub fn query(key: &'static str) -> Signal<Option<String>> {
    match current() {
        Some(f) => {
            let value = f
                .query
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string());
            Signal::derive(move || value.clone())
        }
        None => {
            let query = use_query_map();
            Signal::derive(move || query.read().get(key))
        }
    }
}

/// What the fixture typed into the field `name`.
pub fn typed(name: &str) -> Option<String> {
    current().and_then(|f| {
        f.typed
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

/// Whether the page's main button shows "submitting" in the gallery.
pub fn submitting() -> bool {
    current().is_some_and(|f| f.submitting)
}

/// The password policy for the live checklist: the server's, or `shop` in the gallery.
pub fn password_policy() -> Signal<Policy> {
    if current().is_some() {
        return Signal::derive(|| Policy::Shop);
    }
    let policy = Resource::new(|| (), |_| crate::account::password_policy());
    Signal::derive(move || policy.get().and_then(Result::ok).unwrap_or(Policy::Shop))
}
