//! `/dev/gallery` (development mode only): every screen in every state and the shared
//! components, rendered from fixtures with no server calls, so a designer sees them all at
//! once. Each screen state has its own address (`/dev/gallery/code-wrong`), which renders the
//! real page component around a [`Fixture`]; the index shows them all side by side, with the
//! e-mails and the text message as they are sent.

mod components;

use crate::account::AccountPage;
use crate::account::{
    Activity, ActivityEntry, ActivityPage, ConfirmPage, LoginPage, RegisterPage, Reported,
    WasntMePage,
};
use crate::components::SliderState;
use crate::error::{AccountError, Field, Problem};
use crate::fixture::{AccountFixture, Fixture};
use crate::recover::{CheckPage, CodePage, DonePage, NewPasswordPage, RecoverPage, VerifyPage};
use domain::account::Session;
use domain::recovery::{FlowView, Step};
use leptos::prelude::*;
use leptos_meta::{Html, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

/// The screens the gallery can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Login,
    Register,
    Confirm,
    Recover,
    Check,
    Verify,
    Code,
    Sms,
    Password,
    Done,
    WasntMe,
    Activity,
    Account,
}

/// One state of one screen: its address, what it shows, and the fixture it is rendered from.
struct State {
    slug: &'static str,
    caption: &'static str,
    screen: Screen,
    fixture: fn() -> Fixture,
}

/// The e-mail templates, by file name under `backend/templates/` (shown by `/dev/mail/{name}`).
pub const MAILS: [&str; 6] = [
    "recovery_code",
    "recovery_unknown",
    "password_changed",
    "new_sign_in",
    "signup_code",
    "signup_exists",
];

fn flow(step: Step) -> FlowView {
    FlowView {
        step,
        masked: "l***n@example.com".into(),
        code_sent: true,
        resend_in: 0,
        tries_left: 5,
        code_dead: false,
        can_send: true,
        phone: (step == Step::Sms).then(|| "+44 •••• ••• 789".into()),
        email: (step == Step::Password).then(|| "lin@example.com".into()),
    }
}

fn at(step: Step) -> Fixture {
    Fixture {
        flow: Some(flow(step)),
        ..Fixture::default()
    }
}

fn field(field: Field, problem: impl Into<Problem>) -> Option<AccountError> {
    Some(AccountError::Field {
        field,
        problem: problem.into(),
    })
}

fn bad_email() -> Option<AccountError> {
    field(
        Field::Email,
        domain::Email::parse("lin@").expect_err("not an address"),
    )
}

fn slider(state: SliderState, at: f64, focus: bool) -> Fixture {
    Fixture {
        flow: Some(flow(Step::Challenge)),
        slider: Some((state, at, focus)),
        ..Fixture::default()
    }
}

fn counting(step: Step, seconds: i64) -> Fixture {
    let mut f = at(step);
    if let Some(flow) = f.flow.as_mut() {
        flow.resend_in = seconds;
    }
    f
}

/// A week of events on one account, newest first.
fn activity() -> Activity {
    let event = |event: &str, detail: Option<&str>, agent: &str, ago: i64| ActivityEntry {
        event: event.into(),
        detail: detail.map(Into::into),
        ip: Some("203.0.113.x".into()),
        agent: Some(agent.into()),
        at: 1_795_771_920 - ago,
    };
    Activity {
        entries: vec![
            event("signed_in_new_device", None, "Safari on iPhone", 0),
            event("password_reset", None, "Safari on iPhone", 120),
            event("wrong_code", Some("email"), "Safari on iPhone", 200),
            event(
                "code_sent_email",
                Some("l***n@example.com"),
                "Safari on iPhone",
                260,
            ),
            event("recovery_requested", None, "Safari on iPhone", 300),
            event(
                "session_revoked",
                Some("Firefox on Windows"),
                "Chrome on Android",
                86_400,
            ),
            event("signed_in", None, "Chrome on Android", 3 * 86_400),
            event("account_created", None, "Chrome on Android", 7 * 86_400),
        ],
        page: 0,
        more: true,
    }
}

/// Signed in on a phone and a laptop, with a number on file.
fn account(query: &'static [(&'static str, &'static str)]) -> Fixture {
    let session = |id: &str, agent: &str, ago: i64, current: bool| Session {
        id: id.into(),
        agent: Some(agent.into()),
        ip: Some("203.0.113.x".into()),
        last_seen_at: 1_795_771_920 - ago,
        current,
    };
    let mut sessions = vec![session("a", "Safari on iPhone", 0, true)];
    if query.is_empty() {
        sessions.push(session("b", "Firefox on Windows", 3_600, false));
    }
    sessions.push(session("c", "Chrome on Android", 2 * 86_400, false));
    Fixture {
        account: Some(AccountFixture {
            email: "lin@example.com".into(),
            phone: Some("+44 •••• ••• 789".into()),
            sessions,
        }),
        query,
        ..Fixture::default()
    }
}

const TYPED_LOGIN: &[(&str, &str)] = &[("email", "lin@example.com"), ("password", "Tangerine7")];

/// Every state, in the order of the journey.
const STATES: &[State] = &[
    State {
        slug: "login-empty",
        caption: "Sign in: empty",
        screen: Screen::Login,
        fixture: Fixture::default,
    },
    State {
        slug: "login-filled",
        caption: "Sign in: filled",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: TYPED_LOGIN,
            ..Fixture::default()
        },
    },
    State {
        slug: "login-submitting",
        caption: "Sign in: submitting",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: TYPED_LOGIN,
            submitting: true,
            ..Fixture::default()
        },
    },
    State {
        slug: "login-invalid",
        caption: "Sign in: invalid e-mail",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: &[("email", "lin@")],
            error: bad_email(),
            ..Fixture::default()
        },
    },
    State {
        slug: "login-incorrect",
        caption: "Sign in: wrong password",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: TYPED_LOGIN,
            error: Some(AccountError::Incorrect),
            ..Fixture::default()
        },
    },
    State {
        slug: "login-locked",
        caption: "Sign in: rate-limited",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: TYPED_LOGIN,
            error: Some(AccountError::Locked { minutes: 15 }),
            ..Fixture::default()
        },
    },
    State {
        slug: "login-slider",
        caption: "Sign in: slider asked for",
        screen: Screen::Login,
        fixture: || Fixture {
            typed: TYPED_LOGIN,
            error: Some(AccountError::ChallengeRequired),
            slider: Some((SliderState::Idle, 0.0, false)),
            ..Fixture::default()
        },
    },
    State {
        slug: "login-signed-out",
        caption: "Sign in: after signing out",
        screen: Screen::Login,
        fixture: || Fixture {
            query: &[("notice", "signed-out")],
            ..Fixture::default()
        },
    },
    State {
        slug: "register-empty",
        caption: "Sign up: empty",
        screen: Screen::Register,
        fixture: Fixture::default,
    },
    State {
        slug: "register-partly",
        caption: "Sign up: checklist partly met",
        screen: Screen::Register,
        fixture: || Fixture {
            typed: &[("email", "lin@example.com"), ("password", "tangerine")],
            ..Fixture::default()
        },
    },
    State {
        slug: "register-met",
        caption: "Sign up: checklist met",
        screen: Screen::Register,
        fixture: || Fixture {
            typed: &[
                ("email", "lin@example.com"),
                ("password", "Tangerine7Harbor"),
                ("phone", "+44 7700 900789"),
            ],
            ..Fixture::default()
        },
    },
    State {
        slug: "register-invalid",
        caption: "Sign up: invalid e-mail",
        screen: Screen::Register,
        fixture: || Fixture {
            typed: &[("email", "lin@")],
            error: bad_email(),
            ..Fixture::default()
        },
    },
    State {
        slug: "confirm-empty",
        caption: "Sign-up code: empty",
        screen: Screen::Confirm,
        fixture: || Fixture {
            pending_signup: Some("l***n@example.com"),
            ..Fixture::default()
        },
    },
    State {
        slug: "confirm-wrong",
        caption: "Sign-up code: wrong",
        screen: Screen::Confirm,
        fixture: || Fixture {
            pending_signup: Some("l***n@example.com"),
            typed: &[("code", "123456")],
            error: Some(AccountError::WrongCode { tries_left: 3 }),
            ..Fixture::default()
        },
    },
    State {
        slug: "confirm-expired",
        caption: "Sign-up code: expired",
        screen: Screen::Confirm,
        fixture: Fixture::default,
    },
    State {
        slug: "recover-empty",
        caption: "Forgot password: empty",
        screen: Screen::Recover,
        fixture: Fixture::default,
    },
    State {
        slug: "recover-invalid",
        caption: "Forgot password: invalid e-mail",
        screen: Screen::Recover,
        fixture: || Fixture {
            typed: &[("email", "lin@")],
            error: bad_email(),
            ..Fixture::default()
        },
    },
    State {
        slug: "recover-submitting",
        caption: "Forgot password: submitting",
        screen: Screen::Recover,
        fixture: || Fixture {
            typed: &[("email", "lin@example.com")],
            submitting: true,
            ..Fixture::default()
        },
    },
    State {
        slug: "recover-expired",
        caption: "Forgot password: flow expired",
        screen: Screen::Recover,
        fixture: || Fixture {
            query: &[("expired", "1")],
            ..Fixture::default()
        },
    },
    State {
        slug: "recover-throttled",
        caption: "Forgot password: rate-limited",
        screen: Screen::Recover,
        fixture: || Fixture {
            typed: &[("email", "lin@example.com")],
            error: Some(AccountError::Throttled { minutes: 12 }),
            ..Fixture::default()
        },
    },
    State {
        slug: "slider-idle",
        caption: "Slider: idle",
        screen: Screen::Check,
        fixture: || slider(SliderState::Idle, 0.0, false),
    },
    State {
        slug: "slider-focused",
        caption: "Slider: keyboard focus",
        screen: Screen::Check,
        fixture: || slider(SliderState::Idle, 0.0, true),
    },
    State {
        slug: "slider-dragging",
        caption: "Slider: dragging",
        screen: Screen::Check,
        fixture: || slider(SliderState::Dragging, 0.55, false),
    },
    State {
        slug: "slider-checking",
        caption: "Slider: checking",
        screen: Screen::Check,
        fixture: || slider(SliderState::Checking, 1.0, false),
    },
    State {
        slug: "slider-passed",
        caption: "Slider: passed",
        screen: Screen::Check,
        fixture: || slider(SliderState::Passed, 1.0, false),
    },
    State {
        slug: "slider-failed",
        caption: "Slider: failed",
        screen: Screen::Check,
        fixture: || slider(SliderState::Failed, 0.0, false),
    },
    State {
        slug: "slider-refused",
        caption: "Slider: too many failures (no challenge for now)",
        screen: Screen::Check,
        fixture: || slider(SliderState::Refused { minutes: 15 }, 0.0, false),
    },
    State {
        slug: "verify",
        caption: "Verify: Verify now",
        screen: Screen::Verify,
        fixture: || at(Step::Verify),
    },
    State {
        slug: "verify-send",
        caption: "Verify: send the code",
        screen: Screen::Verify,
        fixture: || Fixture {
            query: &[("method", "email")],
            ..at(Step::Verify)
        },
    },
    State {
        slug: "verify-throttled",
        caption: "Verify: rate-limited",
        screen: Screen::Verify,
        fixture: || Fixture {
            query: &[("method", "email")],
            send_error: Some(AccountError::Throttled { minutes: 12 }),
            ..at(Step::Verify)
        },
    },
    State {
        slug: "code-sent",
        caption: "Code: just sent, resend counting down",
        screen: Screen::Code,
        fixture: || counting(Step::Code, 42),
    },
    State {
        slug: "code-filled",
        caption: "Code: filled",
        screen: Screen::Code,
        fixture: || Fixture {
            typed: &[("code", "482913")],
            ..counting(Step::Code, 17)
        },
    },
    State {
        slug: "code-submitting",
        caption: "Code: submitting",
        screen: Screen::Code,
        fixture: || Fixture {
            typed: &[("code", "482913")],
            submitting: true,
            ..counting(Step::Code, 17)
        },
    },
    State {
        slug: "code-invalid",
        caption: "Code: not six digits",
        screen: Screen::Code,
        fixture: || Fixture {
            typed: &[("code", "48a9")],
            error: field(
                Field::Code,
                domain::Code::parse("48a9").expect_err("not a code"),
            ),
            ..at(Step::Code)
        },
    },
    State {
        slug: "code-wrong",
        caption: "Code: wrong, tries left",
        screen: Screen::Code,
        fixture: || Fixture {
            typed: &[("code", "123456")],
            error: Some(AccountError::WrongCode { tries_left: 3 }),
            ..at(Step::Code)
        },
    },
    State {
        slug: "code-dead",
        caption: "Code: dead after five wrong tries",
        screen: Screen::Code,
        fixture: || {
            let mut f = Fixture {
                typed: &[("code", "123456")],
                error: Some(AccountError::RecoveryCodeDead),
                ..at(Step::Code)
            };
            if let Some(flow) = f.flow.as_mut() {
                flow.code_dead = true;
                flow.tries_left = 0;
            }
            f
        },
    },
    State {
        slug: "code-cooldown",
        caption: "Code: resend too soon",
        screen: Screen::Code,
        fixture: || Fixture {
            send_error: Some(AccountError::CoolDown { seconds: 42 }),
            ..counting(Step::Code, 42)
        },
    },
    State {
        slug: "code-no-more",
        caption: "Code: no more codes today",
        screen: Screen::Code,
        fixture: || {
            let mut f = Fixture {
                send_error: Some(AccountError::TooManyCodes),
                ..at(Step::Code)
            };
            if let Some(flow) = f.flow.as_mut() {
                flow.can_send = false;
            }
            f
        },
    },
    State {
        slug: "code-locked",
        caption: "Code: account locked for the day",
        screen: Screen::Code,
        fixture: || Fixture {
            typed: &[("code", "123456")],
            error: Some(AccountError::RecoveryLocked),
            ..at(Step::Code)
        },
    },
    State {
        slug: "sms-send",
        caption: "SMS: before sending",
        screen: Screen::Sms,
        fixture: || {
            let mut f = at(Step::Sms);
            if let Some(flow) = f.flow.as_mut() {
                flow.code_sent = false;
            }
            f
        },
    },
    State {
        slug: "sms-sent",
        caption: "SMS: sent",
        screen: Screen::Sms,
        fixture: || counting(Step::Sms, 42),
    },
    State {
        slug: "sms-unavailable",
        caption: "SMS: cannot send (caps)",
        screen: Screen::Sms,
        fixture: || {
            let mut f = Fixture {
                send_error: Some(AccountError::SmsUnavailable),
                ..at(Step::Sms)
            };
            if let Some(flow) = f.flow.as_mut() {
                flow.code_sent = false;
            }
            f
        },
    },
    State {
        slug: "password-empty",
        caption: "New password: empty",
        screen: Screen::Password,
        fixture: || at(Step::Password),
    },
    State {
        slug: "password-partly",
        caption: "New password: checklist partly met",
        screen: Screen::Password,
        fixture: || Fixture {
            typed: &[("password", "tangerine")],
            ..at(Step::Password)
        },
    },
    State {
        slug: "password-met",
        caption: "New password: strong, confirmed",
        screen: Screen::Password,
        fixture: || Fixture {
            typed: &[
                ("password", "Lighthouse4Meadow"),
                ("confirm", "Lighthouse4Meadow"),
            ],
            ..at(Step::Password)
        },
    },
    State {
        slug: "password-mismatch",
        caption: "New password: confirmation differs",
        screen: Screen::Password,
        fixture: || Fixture {
            typed: &[
                ("password", "Lighthouse4Meadow"),
                ("confirm", "Lighthouse4Meadov"),
            ],
            error: field(Field::Confirm, Problem::Mismatch),
            ..at(Step::Password)
        },
    },
    State {
        slug: "done",
        caption: "Done: password changed",
        screen: Screen::Done,
        fixture: || at(Step::Done),
    },
    State {
        slug: "wasnt-me",
        caption: "\"This wasn't me\": from the e-mail",
        screen: Screen::WasntMe,
        fixture: || Fixture {
            report: Some(Reported {
                event: "password_reset".into(),
                reported_at: 1_795_771_920,
            }),
            ..Fixture::default()
        },
    },
    State {
        slug: "wasnt-me-used",
        caption: "\"This wasn't me\": link used or expired",
        screen: Screen::WasntMe,
        fixture: Fixture::default,
    },
    State {
        slug: "check-again",
        caption: "Slider: again, after too many wrong codes",
        screen: Screen::Check,
        fixture: || Fixture {
            query: &[("again", "1")],
            ..at(Step::Challenge)
        },
    },
    State {
        slug: "verify-secured",
        caption: "Verify: after \"This wasn't me\"",
        screen: Screen::Verify,
        fixture: || Fixture {
            query: &[("secured", "1")],
            ..at(Step::Verify)
        },
    },
    State {
        slug: "account",
        caption: "Your account: signed-in browsers",
        screen: Screen::Account,
        fixture: || account(&[]),
    },
    State {
        slug: "account-device-out",
        caption: "Your account: a device signed out",
        screen: Screen::Account,
        fixture: || account(&[("notice", "device")]),
    },
    State {
        slug: "activity",
        caption: "Security activity",
        screen: Screen::Activity,
        fixture: || Fixture {
            activity: Some(activity()),
            ..Fixture::default()
        },
    },
    State {
        slug: "activity-empty",
        caption: "Security activity: nothing yet",
        screen: Screen::Activity,
        fixture: || Fixture {
            activity: Some(Activity {
                entries: Vec::new(),
                page: 0,
                more: false,
            }),
            ..Fixture::default()
        },
    },
];

/// The addresses of every screen state (for tests and snapshots).
pub fn state_slugs() -> impl Iterator<Item = &'static str> {
    STATES.iter().map(|s| s.slug)
}

/// `?theme=dark|light` on a gallery address: the scheme to show, whatever the system's.
fn theme() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || {
        query
            .read()
            .get("theme")
            .filter(|t| t == "dark" || t == "light")
    })
}

/// `/dev/gallery/{state}`: one screen in one state, as the shopper would see it.
#[component]
pub fn StatePage() -> impl IntoView {
    let params = use_params_map();
    let theme = theme();
    let slug = params.read_untracked().get("state").unwrap_or_default();
    let Some(state) = STATES.iter().find(|s| s.slug == slug) else {
        return view! { <crate::NotFound /> }.into_any();
    };
    provide_context((state.fixture)());
    let page = match state.screen {
        Screen::Login => view! { <LoginPage /> }.into_any(),
        Screen::Register => view! { <RegisterPage /> }.into_any(),
        Screen::Confirm => view! { <ConfirmPage /> }.into_any(),
        Screen::Recover => view! { <RecoverPage /> }.into_any(),
        Screen::Check => view! { <CheckPage /> }.into_any(),
        Screen::Verify => view! { <VerifyPage /> }.into_any(),
        Screen::Code => view! { <CodePage screen=Step::Code /> }.into_any(),
        Screen::Sms => view! { <CodePage screen=Step::Sms /> }.into_any(),
        Screen::Password => view! { <NewPasswordPage /> }.into_any(),
        Screen::Done => view! { <DonePage /> }.into_any(),
        Screen::WasntMe => view! { <WasntMePage /> }.into_any(),
        Screen::Activity => view! { <ActivityPage /> }.into_any(),
        Screen::Account => view! { <AccountPage /> }.into_any(),
    };
    view! {
        <Html {..} data-theme=move || theme.get() />
        {page}
    }
    .into_any()
}

/// A lazily loaded frame showing `src`.
fn frame(src: String, title: String) -> impl IntoView {
    use leptos::tachys::html::attribute::custom::CustomAttribute;
    leptos::html::iframe()
        .src(src)
        .title(title)
        .width("360")
        .height("640")
        .attr("loading", "lazy")
        .into_any()
}

/// `/dev/gallery`: the index of every screen state, the e-mails, and the shared components.
#[component]
pub fn GalleryPage() -> impl IntoView {
    let theme = theme();
    // `?lang=` shows every state and message in that language (see `ssr::language`).
    let lang = crate::lang::locale();
    let query = move |theme: Option<&str>| {
        let mut parts = vec![format!("lang={}", texts::code(lang))];
        parts.extend(theme.map(|t| format!("theme={t}")));
        format!("?{}", parts.join("&"))
    };
    let suffix = move || query(theme.get().as_deref());
    let other = move || match theme.get().as_deref() {
        Some("dark") => (query(Some("light")), "Light scheme"),
        _ => (query(Some("dark")), "Dark scheme"),
    };
    let languages = move || {
        texts::all()
            .iter()
            .map(|l| {
                let theme = theme
                    .get()
                    .map(|t| format!("&theme={t}"))
                    .unwrap_or_default();
                let href = format!("?lang={}{theme}", texts::code(*l));
                crate::lang::language_link(*l, lang, href, "")
            })
            .collect_view()
    };
    view! {
        <Title text="Gallery" />
        <Html {..} data-theme=move || theme.get() />
        <main class="gallery">
            <h1 class="gallery__title">"Gallery"</h1>
            <p class="gallery__intro">
                "Every screen in every state, the messages as sent, and the shared components, from fixtures (nothing here calls the server). Open a state on its own to see it full size. Styles: style/tokens.css, style/base.css and style/components/*.css; "
                <code>"make dev"</code> " reloads them live."
            </p>
            <nav class="gallery__nav" aria-label="Sections">
                <a href="#screens">"Screens"</a>
                <a href="#messages">"Messages"</a>
                <a href="#fields">"Fields"</a>
                <a href="#strength">"Strength"</a>
                <a href="#checklist">"Checklist"</a>
                <a href="#alerts">"Alerts"</a>
                <a href="#buttons">"Buttons"</a>
                <a href="#destination">"Destination"</a>
                <a href="#slider">"Slider"</a>
                <a class="gallery__theme" href=move || other().0 rel="external">{move || other().1}</a>
            </nav>
            <nav class="gallery__nav" aria-label="Languages">{languages}</nav>
            <section class="gallery__section" id="screens" aria-labelledby="screens-title">
                <h2 class="card__subtitle" id="screens-title">"Screens"</h2>
                <ul class="gallery__grid">
                    {STATES
                        .iter()
                        .map(|s| {
                            let href = move || format!("/dev/gallery/{}{}", s.slug, suffix());
                            view! {
                                <li class="gallery__frame" id=s.slug>
                                    <a class="gallery__caption" href=href rel="external">{s.caption}</a>
                                    {frame(href(), s.caption.to_string())}
                                </li>
                            }
                                .into_any()
                        })
                        .collect_view()}
                </ul>
            </section>
            <section class="gallery__section" id="messages" aria-labelledby="messages-title">
                <h2 class="card__subtitle" id="messages-title">"Messages as sent"</h2>
                <ul class="gallery__grid">
                    {MAILS
                        .iter()
                        .chain(std::iter::once(&"sms"))
                        .map(|name| {
                            let href = format!("/dev/mail/{name}?lang={}", texts::code(lang));
                            let title = if *name == "sms" {
                                "Text message: recovery code".to_string()
                            } else {
                                format!("E-mail: {}", name.replace('_', " "))
                            };
                            view! {
                                <li class="gallery__frame" id=format!("mail-{name}")>
                                    <a class="gallery__caption" href=href.clone() rel="external">{title.clone()}</a>
                                    {frame(href, title)}
                                </li>
                            }
                                .into_any()
                        })
                        .collect_view()}
                </ul>
            </section>
            <components::Components />
        </main>
    }
}
