//! Progress of the activities a `--wait` follows, on stderr: on a terminal a
//! bar per activity with its percent and what Plex is working on (the seed's
//! `monitorRefresh`); piped, one plain line per change, so logs and CI output
//! stay readable. Nothing at all with `--json` (stdout is the document;
//! stderr stays quiet for scripts).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::clean;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Not at all.
    Off,
    /// `label: 40% subtitle` lines, one per change.
    Lines,
    /// Bars redrawn in place.
    Bars,
}

impl Style {
    /// Bars when stderr is a terminal, lines when piped; off unless `shown`.
    pub(crate) fn detect(shown: bool) -> Style {
        match (shown, std::io::stderr().is_terminal()) {
            (false, _) => Style::Off,
            (true, true) => Style::Bars,
            (true, false) => Style::Lines,
        }
    }
}

/// The progress display of one command; activities are told apart by label.
pub(crate) struct Progress {
    style: Style,
    bars: MultiProgress,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    bars: HashMap<String, ProgressBar>,
    /// The last line printed per label, so a poll that changed nothing prints nothing.
    last: HashMap<String, String>,
}

impl Progress {
    /// A display in `style`.
    pub(crate) fn new(style: Style) -> Progress {
        let target = match style {
            Style::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        };
        Progress {
            style,
            bars: MultiProgress::with_draw_target(target),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The activity for `label` started (`activity`: its uuid, when known).
    pub(crate) fn started(&self, label: &str, activity: Option<&str>) {
        let text = match activity {
            Some(a) => format!("started (activity {a})"),
            None => "started".to_owned(),
        };
        match self.style {
            Style::Off => {}
            Style::Lines => self.line(label, text),
            Style::Bars => {
                let bar = self.bars.add(ProgressBar::new(100));
                bar.set_style(bar_style());
                bar.set_prefix(clean(label));
                bar.set_message(text);
                bar.enable_steady_tick(Duration::from_millis(200));
                self.state().bars.insert(label.to_owned(), bar);
            }
        }
    }

    /// Plex reports `percent` (negative: it cannot tell) and `subtitle`.
    pub(crate) fn running(&self, label: &str, percent: Option<f64>, subtitle: Option<&str>) {
        let subtitle = subtitle.map(clean).unwrap_or_default();
        let known = percent.filter(|p| *p >= 0.0);
        match self.style {
            Style::Off => {}
            Style::Lines => {
                let pct = known.map_or_else(|| "…".to_owned(), |p| format!("{p:.0}%"));
                self.line(label, format!("{pct} {subtitle}").trim_end().to_owned());
            }
            Style::Bars => {
                if let Some(bar) = self.state().bars.get(label) {
                    if let Some(p) = known {
                        bar.set_position(p.clamp(0.0, 100.0) as u64);
                    }
                    bar.set_message(subtitle);
                }
            }
        }
    }

    /// The activity for `label` ended; `text` says how.
    pub(crate) fn ended(&self, label: &str, text: &str) {
        match self.style {
            Style::Off => {}
            Style::Lines => self.line(label, text.to_owned()),
            Style::Bars => {
                if let Some(bar) = self.state().bars.remove(label) {
                    bar.set_position(100);
                    bar.finish_with_message(text.to_owned());
                }
            }
        }
    }

    fn line(&self, label: &str, text: String) {
        {
            let mut state = self.state();
            if state.last.get(label) == Some(&text) {
                return;
            }
            state.last.insert(label.to_owned(), text.clone());
        }
        eprintln!("{}: {text}", clean(label));
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos:>3}% {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
