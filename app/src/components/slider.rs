//! The drag-to-verify slider: a plain track and a handle dragged to the far end, or moved with
//! the keyboard, or a tap on the end zone. It records the movement, solves the challenge's
//! proof-of-work in slices between frames, and sends both to the server, which judges.

use crate::lang::td_string;
use domain::pow::{search, Puzzle};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Hashes searched per slice of the proof-of-work (a few milliseconds each).
const SLICE: u32 = 8_000;
/// The handle's width in px (also the smallest touch target, 44 px, and then some).
const HANDLE: f64 = 48.0;

#[derive(Debug, Clone, Copy, Serialize)]
struct Sample {
    #[serde(serialize_with = "whole")]
    t: f64,
    #[serde(serialize_with = "whole")]
    x: f64,
    #[serde(serialize_with = "whole")]
    y: f64,
}

/// Sends a measure as a whole number (ms or px): precise enough for the judge, and it keeps
/// float formatting out of the WebAssembly.
fn whole<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(v.round() as i64)
}

fn whole_all<S: serde::Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        seq.serialize_element(&(x.round() as i64))?;
    }
    seq.end()
}

/// What is sent to the server (the server's `backend::slider::Movement`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Movement {
    mode: &'static str,
    pointer: String,
    trusted: bool,
    #[serde(serialize_with = "whole")]
    shown_to_press: f64,
    #[serde(serialize_with = "whole")]
    press_offset: f64,
    #[serde(serialize_with = "whole")]
    travel: f64,
    #[serde(serialize_with = "whole")]
    handle: f64,
    samples: Vec<Sample>,
    #[serde(serialize_with = "whole")]
    release: f64,
    #[serde(serialize_with = "whole_all")]
    keys: Vec<f64>,
    #[serde(serialize_with = "whole")]
    value: f64,
    #[serde(serialize_with = "whole")]
    tap_x: f64,
    /// Least time between two recorded samples (grows when a long drag is thinned).
    #[serde(skip)]
    spacing: f64,
    /// The newest move, not recorded yet because it came sooner than `spacing`.
    #[serde(skip)]
    pending: Option<Sample>,
}

/// Records one move: at most one sample per `spacing` ms (8 ms to begin with), so a fast
/// mouse cannot overflow the 400 samples the server accepts; a drag that still would is
/// thinned to every other sample and the spacing doubled, keeping its shape and small steps.
fn record(m: &mut Movement, sample: Sample) {
    let gap = m.spacing.max(8.0);
    if m.samples.last().is_some_and(|l| sample.t - l.t < gap) {
        m.pending = Some(sample);
        return;
    }
    m.pending = None;
    m.samples.push(sample);
    thin(m);
}

fn thin(m: &mut Movement) {
    if m.samples.len() >= 400 {
        let kept: Vec<Sample> = m
            .samples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0 || *i == m.samples.len() - 1)
            .map(|(_, s)| *s)
            .collect();
        m.samples = kept;
        m.spacing = m.spacing.max(8.0) * 2.0;
    }
}

/// An answer ready to send: the movement (JSON) and the proof-of-work solutions.
#[derive(Debug, Clone)]
struct SliderAnswer {
    pub token: String,
    pub movement: String,
    pub nonce: u32,
    pub extra_nonce: Option<u32>,
}

/// Where the widget stands, for the status line and styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliderState {
    Idle,
    Dragging,
    Checking,
    Passed,
    Failed,
    /// No challenge for now: too many failed lately, from this network or for this flow or
    /// address. The handle is disabled and the status says when to try again.
    Refused {
        minutes: i64,
    },
}

/// How far `client_x` is from the track's start edge in reading direction (the right edge on
/// right-to-left pages).
fn along(rect: &web_sys::DomRect, client_x: i32, rtl: bool) -> f64 {
    let x = f64::from(client_x);
    if rtl {
        rect.right() - x
    } else {
        x - rect.left()
    }
}

fn now() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Solves `target` below `bound` in slices between frames; calls `done` with the answer.
fn solve(puzzle: Puzzle, extra: bool, done: impl FnOnce(u32) + 'static) {
    fn step(
        salt: String,
        id: String,
        target: String,
        bound: u32,
        from: u32,
        done: Box<dyn FnOnce(u32)>,
    ) {
        let to = from.saturating_add(SLICE).min(bound);
        if let Some(n) = search(&salt, &id, &target, from, to) {
            done(n);
        } else if to < bound {
            set_timeout(
                move || step(salt, id, target, bound, to, done),
                Duration::ZERO,
            );
        }
    }
    let (id, target, bound) = if extra {
        (
            format!("{}+", puzzle.id),
            puzzle.extra_target,
            puzzle.extra_bound,
        )
    } else {
        (puzzle.id, puzzle.target, puzzle.bound)
    };
    step(puzzle.salt, id, target, bound, 0, Box::new(done));
}

/// What asking for a challenge gave.
enum Fetched {
    Puzzle(Puzzle),
    /// Too many failed challenges lately: none for up to `minutes`.
    Refused {
        minutes: i64,
    },
    /// None this time (the server busy, or on the sign-in page no address yet).
    NotYet,
}

impl From<Result<Option<Puzzle>, crate::error::AccountError>> for Fetched {
    fn from(answer: Result<Option<Puzzle>, crate::error::AccountError>) -> Self {
        match answer {
            Ok(Some(p)) => Fetched::Puzzle(p),
            Err(crate::error::AccountError::Throttled { minutes }) => Fetched::Refused { minutes },
            Ok(None) | Err(_) => Fetched::NotYet,
        }
    }
}

/// One load of a challenge, from asking for it to its proof-of-work.
#[derive(Clone)]
struct Asking {
    fetch: Fetch,
    state: RwSignal<SliderState>,
    pos: RwSignal<f64>,
    rec: StoredValue<Movement>,
    puzzle: RwSignal<Option<Puzzle>>,
    nonce: RwSignal<Option<u32>>,
    issued_at: RwSignal<f64>,
    pow_ms: RwSignal<Option<f64>>,
    loads: StoredValue<u32>,
    /// This load's number in `loads`.
    load: u32,
}

impl Asking {
    /// Asks for a challenge and starts its proof-of-work. When none comes (the server busy, or
    /// on the sign-in page the e-mail field not filled back in yet), asks again a little later
    /// each time, up to every 8 s: a person who has moved the handle meanwhile waits at
    /// "Checking…" for the challenge, which must come rather than never. When the server
    /// refuses (too many failures lately), the widget says so and asks again every 30 s.
    fn ask(self, attempt: u32) {
        spawn_local(async move {
            let fetched = (self.fetch)().await;
            if self.loads.get_value() != self.load {
                return;
            }
            let p = match fetched {
                Fetched::Puzzle(p) => p,
                Fetched::Refused { minutes } => {
                    self.state.set(SliderState::Refused { minutes });
                    back_to_start(self.pos, self.rec);
                    set_timeout(move || self.ask(attempt + 1), Duration::from_secs(30));
                    return;
                }
                Fetched::NotYet => {
                    let later = Duration::from_millis(250 << attempt.min(5));
                    set_timeout(move || self.ask(attempt + 1), later);
                    return;
                }
            };
            if matches!(self.state.get_untracked(), SliderState::Refused { .. }) {
                self.state.set(SliderState::Idle);
            }
            self.issued_at.set(now());
            self.puzzle.set(Some(p.clone()));
            let started = now();
            let (pow_ms, nonce) = (self.pow_ms, self.nonce);
            solve(p, false, move |n| {
                pow_ms.set(Some(now() - started));
                nonce.set(Some(n));
            });
        });
    }
}

/// Puts the handle back at the start and forgets what was recorded: the next answer is a new
/// movement (after a failure or a refusal, keys pressed before are no answer any more).
fn back_to_start(pos: RwSignal<f64>, rec: StoredValue<Movement>) {
    pos.set(0.0);
    rec.set_value(Movement::default());
}

/// Runs `then` with the proof-of-work answer as soon as the search has found it.
fn when_solved(nonce: RwSignal<Option<u32>>, then: impl FnOnce(u32) + 'static) {
    match nonce.get_untracked() {
        Some(n) => then(n),
        None => set_timeout(move || when_solved(nonce, then), Duration::from_millis(25)),
    }
}

/// A future the widget awaits in the browser.
type Later<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;
/// Gets a new challenge.
type Fetch = std::sync::Arc<dyn Fn() -> Later<Fetched> + Send + Sync>;
/// Sends an answer; resolves to whether it passed.
type Submit = std::sync::Arc<dyn Fn(SliderAnswer) -> Later<bool> + Send + Sync>;

/// What a passed slider opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliderFor {
    /// The recovery flow's next step ("Verify your identity"), where the browser then goes.
    Recovery,
    /// The next sign-in for the address typed into the page's e-mail field: the one-time pass
    /// goes into the form's hidden `pass` input, sent with "Sign in".
    SignIn,
    /// Nothing: the gallery's specimen, which fetches no challenge.
    Show,
}

/// The slider: server-rendered, then hydrated as an island. In the gallery it is posed from
/// the fixture's state and fetches nothing.
#[component]
pub fn Slider(purpose: SliderFor) -> impl IntoView {
    let fixture = crate::fixture::current();
    let posed = fixture.is_some() || purpose == SliderFor::Show;
    let pose = fixture.and_then(|f| f.slider);
    view! { <SliderIsland purpose=purpose posed=posed pose=pose /> }
}

#[island]
fn SliderIsland(
    purpose: SliderFor,
    posed: bool,
    pose: Option<(SliderState, f64, bool)>,
) -> impl IntoView {
    let (fetch, submit) = ends(purpose);
    widget(fetch, submit, posed.then_some(pose))
}

/// Where the widget gets its challenge and sends its answer, for each purpose.
fn ends(purpose: SliderFor) -> (Fetch, Submit) {
    use crate::account::{login_challenge, login_challenge_answer};
    use crate::recover::{recover_challenge, recover_challenge_answer};
    let extra = |a: &SliderAnswer| a.extra_nonce.map(|n| n.to_string()).unwrap_or_default();
    match purpose {
        SliderFor::Recovery => (
            std::sync::Arc::new(|| {
                Box::pin(async { Fetched::from(recover_challenge().await) }) as Later<_>
            }),
            std::sync::Arc::new(move |a: SliderAnswer| {
                Box::pin(async move {
                    let extra = extra(&a);
                    let passed = matches!(
                        recover_challenge_answer(a.token, a.movement, a.nonce, extra).await,
                        Ok(true)
                    );
                    if passed {
                        go_to(domain::recovery::Step::Verify.path());
                    }
                    passed
                }) as Later<bool>
            }),
        ),
        SliderFor::SignIn => (
            std::sync::Arc::new(|| {
                Box::pin(async {
                    // Bound to the address: none to ask for until the field holds one.
                    let email = super::input_value("field-email");
                    if email.is_empty() {
                        return Fetched::NotYet;
                    }
                    Fetched::from(login_challenge(email).await.map(Some))
                }) as Later<_>
            }),
            std::sync::Arc::new(move |a: SliderAnswer| {
                Box::pin(async move {
                    let extra = extra(&a);
                    let email = super::input_value("field-email");
                    match login_challenge_answer(email, a.token, a.movement, a.nonce, extra).await {
                        Ok(Some(pass)) => {
                            super::set_input_value("login-pass", &pass);
                            true
                        }
                        _ => false,
                    }
                }) as Later<bool>
            }),
        ),
        SliderFor::Show => (
            std::sync::Arc::new(|| Box::pin(async { Fetched::NotYet }) as Later<_>),
            std::sync::Arc::new(|_| Box::pin(async { false }) as Later<bool>),
        ),
    }
}

fn go_to(path: &str) {
    let _ = window().location().set_href(path);
}

/// The widget. Not generic, so it is compiled once into the WebAssembly. `pose` is the
/// gallery's: the state, where the handle stands (0 to 1), whether it has the focus.
fn widget(
    fetch: Fetch,
    submit: Submit,
    pose: Option<Option<(SliderState, f64, bool)>>,
) -> impl IntoView {
    let ready = super::hydrated();
    // Right-to-left pages mirror the track: the handle starts on the right and goes to the
    // end in reading direction. Positions are measured from the start edge either way, so
    // the server judges the same movement in every language.
    let l = crate::lang::locale();
    let rtl = texts::is_rtl(l);
    let state = RwSignal::new(SliderState::Idle);
    let pos = RwSignal::new(0.0_f64);
    let travel = RwSignal::new(1.0_f64);
    let puzzle = RwSignal::new(None::<Puzzle>);
    let nonce = RwSignal::new(None::<u32>);
    // When the widget (or, after a failure, its fresh challenge) was shown to the person, and
    // when the current challenge arrived (it is replaced quietly before it expires).
    let shown_at = RwSignal::new(0.0_f64);
    let issued_at = RwSignal::new(0.0_f64);
    // How long the last proof-of-work search took (ms), shown as `data-pow-ms` for benchmarks.
    let pow_ms = RwSignal::new(None::<f64>);
    // The movement being recorded (browser only). Thread-safe stores all the same: the server
    // renders this island inside an async response, whose owner may be dropped on another
    // thread.
    let rec = StoredValue::new(Movement::default());
    let approach = StoredValue::new(Vec::<Sample>::new());
    let track = NodeRef::<leptos::html::Div>::new();

    // Which load is current: an older one still asking again stops.
    let loads = StoredValue::new(0_u32);
    let load = {
        let fetch = fetch.clone();
        move || {
            nonce.set(None);
            puzzle.set(None);
            loads.update_value(|n| *n += 1);
            let asking = Asking {
                fetch: fetch.clone(),
                state,
                pos,
                rec,
                puzzle,
                nonce,
                issued_at,
                pow_ms,
                loads,
                load: loads.get_value(),
            };
            asking.ask(0);
        }
    };
    // In the gallery the widget is posed from its fixture and fetches nothing.
    let handle = NodeRef::<leptos::html::Div>::new();
    if let Some(pose) = pose {
        Effect::new(move |_| {
            let Some((s, at, focus)) = pose else { return };
            if !ready.get() {
                return;
            }
            // After the track is shown and laid out.
            request_animation_frame(move || {
                if let Some(t) = track.get_untracked() {
                    travel.set((t.get_bounding_client_rect().width() - HANDLE).max(1.0));
                }
                pos.set(at * travel.get_untracked());
                state.set(s);
                if let (true, Some(h)) = (focus, handle.get_untracked()) {
                    let _ = h.focus();
                }
            });
        });
    } else {
        let load = load.clone();
        Effect::new(move |_| {
            shown_at.set(now());
            load();
        });
    }
    // A challenge lives two minutes: replace it quietly before it expires.
    {
        let load = load.clone();
        Effect::new(move |_| {
            if let Ok(h) = set_interval_with_handle(
                {
                    let load = load.clone();
                    move || {
                        if state.get_untracked() == SliderState::Idle
                            && puzzle.get_untracked().is_some()
                            && now() - issued_at.get_untracked() > 100_000.0
                        {
                            load();
                        }
                    }
                },
                Duration::from_secs(5),
            ) {
                on_cleanup(move || h.clear());
            }
        });
    }

    let measure = move || {
        track.get_untracked().map(|t| {
            let rect = t.get_bounding_client_rect();
            travel.set((rect.width() - HANDLE).max(1.0));
            rect
        })
    };

    // `send` waits for a late challenge by calling itself again; it reaches itself through here.
    let send_later = StoredValue::new(None::<std::sync::Arc<dyn Fn(Movement) + Send + Sync>>);
    let send = {
        let submit = submit.clone();
        let load = load.clone();
        move |movement: Movement| {
            state.set(SliderState::Checking);
            // A person can finish before the challenge has arrived: wait for it.
            let Some(p) = puzzle.get_untracked() else {
                let again = send_later.get_value();
                set_timeout(
                    move || {
                        // Refused meanwhile: the status says why, and nothing is sent.
                        if state.get_untracked() != SliderState::Checking {
                            return;
                        }
                        if let Some(again) = again {
                            again(movement);
                        }
                    },
                    Duration::from_millis(50),
                );
                return;
            };
            let json = serde_json::to_string(&movement).unwrap_or_default();
            let token = p.token.clone();
            let (submit, load) = (submit.clone(), load.clone());
            let go = move |extra: Option<u32>| {
                when_solved(nonce, move |n| {
                    let answer = SliderAnswer {
                        token,
                        movement: json,
                        nonce: n,
                        extra_nonce: extra,
                    };
                    spawn_local(async move {
                        if submit(answer).await {
                            state.set(SliderState::Passed);
                        } else {
                            state.set(SliderState::Failed);
                            back_to_start(pos, rec);
                            load();
                        }
                    });
                });
            };
            // Keyboard and tap answers also pay the extra proof-of-work.
            if movement.mode == "drag" {
                go(None);
            } else {
                solve(p, true, move |e| go(Some(e)));
            }
        }
    };

    send_later.set_value(Some(std::sync::Arc::new(send.clone())));
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if matches!(
            state.get_untracked(),
            SliderState::Checking | SliderState::Passed | SliderState::Refused { .. }
        ) {
            return;
        }
        let Some(rect) = measure() else { return };
        let x = along(&rect, ev.client_x(), rtl);
        ev.prevent_default();
        if let Some(target) = ev.current_target() {
            use leptos::wasm_bindgen::JsCast;
            if let Ok(el) = target.dyn_into::<web_sys::Element>() {
                let _ = el.set_pointer_capture(ev.pointer_id());
            }
        }
        state.set(SliderState::Dragging);
        let t0 = ev.time_stamp();
        rec.update_value(|m| {
            *m = Movement {
                mode: "drag",
                pointer: ev.pointer_type(),
                trusted: ev.is_trusted(),
                shown_to_press: now() - shown_at.get_untracked(),
                press_offset: x - pos.get_untracked(),
                travel: travel.get_untracked(),
                handle: HANDLE,
                samples: vec![Sample {
                    t: 0.0,
                    x: 0.0,
                    y: f64::from(ev.client_y()) - rect.top(),
                }],
                ..Movement::default()
            };
            m.release = t0; // press time, until release
        });
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if state.get_untracked() != SliderState::Dragging {
            return;
        }
        let Some(rect) = track.get_untracked().map(|t| t.get_bounding_client_rect()) else {
            return;
        };
        // A busy frame merges several moves into one event: record the moves it carries
        // (`getCoalescedEvents`), at most one every 8 ms, so steps stay as small as the hand's.
        let moves: Vec<web_sys::PointerEvent> = {
            use leptos::wasm_bindgen::JsCast;
            let merged: Vec<web_sys::PointerEvent> = ev
                .get_coalesced_events()
                .iter()
                .filter_map(|e| e.dyn_into::<web_sys::PointerEvent>().ok())
                .collect();
            if merged.is_empty() {
                vec![ev.clone()]
            } else {
                merged
            }
        };
        rec.update_value(|m| {
            m.trusted &= ev.is_trusted();
            for e in &moves {
                let sample = Sample {
                    t: e.time_stamp() - m.release,
                    x: along(&rect, e.client_x(), rtl) - m.press_offset,
                    y: f64::from(e.client_y()) - rect.top(),
                };
                pos.set(sample.x.clamp(0.0, m.travel));
                record(m, sample);
            }
        });
    };
    let on_up = {
        let send = send.clone();
        move |ev: leptos::ev::PointerEvent| {
            if state.get_untracked() != SliderState::Dragging {
                return;
            }
            let mut done = None;
            rec.update_value(|m| {
                m.trusted &= ev.is_trusted();
                m.release = ev.time_stamp() - m.release;
                // The newest position counts even if it came sooner than the spacing.
                if let Some(last) = m.pending.take() {
                    m.samples.push(last);
                    thin(m);
                }
                done = Some(m.clone());
            });
            let Some(m) = done else { return };
            if pos.get_untracked() >= 0.97 * m.travel {
                send(m);
            } else {
                state.set(SliderState::Idle);
                pos.set(0.0);
            }
        }
    };
    // Keyboard: arrows ±5 %, Page Up/Down ±25 %, Home/End; Enter or Space confirms at the end.
    let on_key = {
        let send = send.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if matches!(
                state.get_untracked(),
                SliderState::Checking | SliderState::Passed | SliderState::Refused { .. }
            ) {
                return;
            }
            measure();
            let full = travel.get_untracked();
            let step = match ev.key().as_str() {
                "ArrowUp" => Some(0.05),
                "ArrowDown" => Some(-0.05),
                // Forward is the reading direction.
                "ArrowRight" => Some(if rtl { -0.05 } else { 0.05 }),
                "ArrowLeft" => Some(if rtl { 0.05 } else { -0.05 }),
                "PageUp" => Some(0.25),
                "PageDown" => Some(-0.25),
                "End" => Some(1.0),
                "Home" => Some(-1.0),
                _ => None,
            };
            let at = now() - shown_at.get_untracked();
            if let Some(step) = step {
                ev.prevent_default();
                pos.update(|p| *p = (*p + step * full).clamp(0.0, full));
                rec.update_value(|m| {
                    if m.mode != "keyboard" {
                        *m = Movement {
                            mode: "keyboard",
                            trusted: true,
                            shown_to_press: at,
                            travel: full,
                            handle: HANDLE,
                            ..Movement::default()
                        };
                    }
                    m.trusted &= ev.is_trusted();
                    m.keys.push(at);
                    m.value = pos.get_untracked() / full * 100.0;
                });
            } else if matches!(ev.key().as_str(), "Enter" | " ") {
                ev.prevent_default();
                let mut answer = None;
                rec.update_value(|m| {
                    m.trusted &= ev.is_trusted();
                    if m.mode == "keyboard" && m.value >= 97.0 {
                        answer = Some(m.clone());
                    }
                });
                if let Some(m) = answer {
                    send(m);
                }
            }
        }
    };
    // A tap on the end zone (single pointer, no drag). A mouse leaves a trail on the way there.
    let on_track_move = move |ev: leptos::ev::PointerEvent| {
        if state.get_untracked() == SliderState::Dragging {
            return;
        }
        let Some(rect) = track.get_untracked().map(|t| t.get_bounding_client_rect()) else {
            return;
        };
        approach.update_value(|a| {
            a.push(Sample {
                t: ev.time_stamp(),
                x: along(&rect, ev.client_x(), rtl),
                y: f64::from(ev.client_y()) - rect.top(),
            });
            if a.len() > 60 {
                a.remove(0);
            }
        });
    };
    let on_end_tap = {
        let send = send.clone();
        move |ev: leptos::ev::PointerEvent| {
            if !matches!(
                state.get_untracked(),
                SliderState::Idle | SliderState::Failed
            ) {
                return;
            }
            let Some(rect) = measure() else { return };
            ev.stop_propagation();
            let x = along(&rect, ev.client_x(), rtl);
            let trail = approach.get_value();
            let m = Movement {
                mode: "tap",
                pointer: ev.pointer_type(),
                trusted: ev.is_trusted(),
                shown_to_press: now() - shown_at.get_untracked(),
                travel: travel.get_untracked(),
                handle: HANDLE,
                samples: trail
                    .into_iter()
                    .filter(|s| ev.time_stamp() - s.t < 2_000.0)
                    .collect(),
                tap_x: x,
                ..Movement::default()
            };
            pos.set(travel.get_untracked());
            send(m);
        }
    };

    let percent = move || (pos.get() / travel.get() * 100.0).round().clamp(0.0, 100.0) as i64;
    // Taken to the end with the keys, the handle waits for Enter: the status says so (arrow keys
    // alone never confirm, and nothing on screen would tell a keyboard user what comes next).
    let keyed_to_end =
        move || pos.get() >= 0.97 * travel.get() && rec.with_value(|m| m.mode == "keyboard");
    let status = move || match state.get() {
        SliderState::Idle | SliderState::Failed if keyed_to_end() => {
            td_string!(l, slider.status_at_end).to_string()
        }
        SliderState::Idle | SliderState::Dragging => td_string!(l, slider.status_idle).to_string(),
        SliderState::Checking => td_string!(l, slider.status_checking).to_string(),
        SliderState::Passed => td_string!(l, slider.status_passed).to_string(),
        SliderState::Failed => td_string!(l, slider.status_failed).to_string(),
        // Not `error.throttled`: its count's plural rules (and `AccountError::message`, every
        // error's texts) would add 26 KB brotli to the WebAssembly.
        SliderState::Refused { minutes } => td_string!(l, slider.status_refused, minutes),
    };
    let (label, label_passed) = (
        td_string!(l, slider.label),
        td_string!(l, slider.label_passed),
    );
    let (arrows, mark) = if rtl {
        ("‹‹‹", "«")
    } else {
        ("›››", "»")
    };
    view! {
        <div
            class="slider"
            data-pow-ms=move || pow_ms.get().map(|ms| (ms as i64).to_string())
            class:slider--dragging=move || state.get() == SliderState::Dragging
            class:slider--checking=move || state.get() == SliderState::Checking
            class:slider--passed=move || state.get() == SliderState::Passed
            class:slider--failed=move || state.get() == SliderState::Failed
            class:slider--refused=move || matches!(state.get(), SliderState::Refused { .. })
        >
            <noscript>
                <p class="alert alert--info">
                    {td_string!(l, slider.needs_js)}
                </p>
            </noscript>
            <div class="slider__track" node_ref=track on:pointermove=on_track_move hidden=move || !ready.get()>
                <div class="slider__fill" style:width=move || ready.get().then(|| format!("{}px", (pos.get() + HANDLE) as i64))></div>
                <span class="slider__label" aria-hidden="true">
                    {move || if state.get() == SliderState::Passed { label_passed.to_string() } else { format!("{label}  {arrows}") }}
                </span>
                <button
                    type="button"
                    class="slider__end"
                    aria-label=td_string!(l, slider.tap_end)
                    tabindex="-1"
                    on:pointerdown=on_end_tap
                ></button>
                <div
                    node_ref=handle
                    class="slider__handle"
                    role="slider"
                    tabindex="0"
                    aria-label=label
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || percent().to_string()
                    aria-valuetext=move || td_string!(l, slider.percent, value = percent())
                    aria-disabled=move || matches!(state.get(), SliderState::Refused { .. }).then_some("true")
                    style:transform=move || ready.get().then(|| format!("translateX({}px)", (if rtl { -pos.get() } else { pos.get() }) as i64))
                    on:pointerdown=on_down
                    on:pointermove=on_move
                    on:pointerup=on_up
                    on:pointercancel=move |_| {
                        if state.get_untracked() == SliderState::Dragging {
                            state.set(SliderState::Idle);
                            pos.set(0.0);
                        }
                    }
                    on:keydown=on_key
                >
                    <span aria-hidden="true">{move || if state.get() == SliderState::Passed { "✓" } else { mark }}</span>
                </div>
            </div>
            <p class="slider__status" role="status" aria-live="polite">
                {move || ready.get().then(status)}
            </p>
        </div>
    }
}
