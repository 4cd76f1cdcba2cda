//! Owns the timing of a command's own phases (reading the workspace, planning, rendering, asking
//! the engine, building, checking and reporting), which `-v` prints at the end: where a rebuild's
//! seconds go, without a profiler. Wall-clock, one entry per phase, in the order they ran; a
//! phase that runs once per image adds up.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Phases {
    last: Instant,
    start: Instant,
    spent: Vec<(&'static str, Duration)>,
}

impl Default for Phases {
    fn default() -> Self {
        Self::new()
    }
}

impl Phases {
    pub fn new() -> Phases {
        let now = Instant::now();
        Phases {
            last: now,
            start: now,
            spent: Vec::new(),
        }
    }

    /// The time since the last mark goes to `phase`.
    pub fn mark(&mut self, phase: &'static str) {
        let now = Instant::now();
        let took = now - self.last;
        self.last = now;
        match self.spent.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, total)) => *total += took,
            None => self.spent.push((phase, took)),
        }
    }

    /// `metadata 0.21 s, plan 0.08 s, …; total 4.71 s`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .spent
            .iter()
            .map(|(p, d)| format!("{p} {:.2} s", d.as_secs_f64()))
            .collect();
        format!(
            "{}; total {:.2} s",
            parts.join(", "),
            (self.last - self.start).as_secs_f64()
        )
    }

    pub fn spent(&self) -> &[(&'static str, Duration)] {
        &self.spent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_in_the_order_they_first_ran() {
        let mut phases = Phases::new();
        phases.mark("plan");
        std::thread::sleep(Duration::from_millis(20));
        phases.mark("build");
        phases.mark("report");
        std::thread::sleep(Duration::from_millis(20));
        phases.mark("build");
        let names: Vec<&str> = phases.spent().iter().map(|(p, _)| *p).collect();
        assert_eq!(names, ["plan", "build", "report"]);
        let build = phases.spent()[1].1;
        assert!(build >= Duration::from_millis(40), "{build:?}");
        let summary = phases.summary();
        assert!(
            summary.starts_with("plan 0.")
                && summary.contains(", build 0.")
                && summary.contains("; total "),
            "{summary}"
        );
    }
}
