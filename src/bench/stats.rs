//! Latency samples → percentiles, and the printed/JSON report.

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub scenario: String,
    pub parameters: String,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Scenario-specific figures (delivery ratio, events rebuilt…).
    pub notes: Vec<String>,
    pub controller_peak_rss_mb: Option<f64>,
}

impl Report {
    pub fn new(scenario: &str, parameters: String, mut samples: Vec<Duration>, errors: u64, elapsed: Duration) -> Self {
        samples.sort_unstable();
        let pick = |q: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[index].as_secs_f64() * 1000.0
        };
        Self {
            scenario: scenario.to_owned(),
            parameters,
            ok: samples.len() as u64,
            errors,
            seconds: elapsed.as_secs_f64(),
            per_second: samples.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_ms: pick(0.50),
            p95_ms: pick(0.95),
            p99_ms: pick(0.99),
            max_ms: pick(1.0),
            notes: Vec::new(),
            controller_peak_rss_mb: None,
        }
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "| scenario | parameters | ok | errors | per second | p50 ms | p95 ms | p99 ms | max ms |\n\
             |---|---|---|---|---|---|---|---|---|\n\
             | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.scenario,
            self.parameters,
            self.ok,
            self.errors,
            self.per_second,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        );
        for note in &self.notes {
            out.push_str(&format!("\n- {note}"));
        }
        if let Some(rss) = self.controller_peak_rss_mb {
            out.push_str(&format!("\n- controller peak RSS: {rss:.1} MB"));
        }
        out
    }
}

/// VmHWM of a process, in MB.
pub fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
