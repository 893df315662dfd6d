//! Interleaved A/B timing at several stack depths, shared by the keyseal benchmarks
//! (`benches/verify.rs` and `benches/peers`). Not a benchmark target itself.
//!
//! Each pair is timed in alternating chunks (A then B, then B then A, ...) so that changes in
//! machine load hit both sides alike, below 0, 1, 3 and 7 extra stack frames (the
//! ed25519-dalek AVX2 path moves 10-30% with stack placement), and the median ratio of all
//! rounds is reported with its range. Single-threaded pairs are compared by the CPU time of
//! the measuring thread, which time spent descheduled on a busy machine does not inflate;
//! wall-clock ratios are printed beside them, and multi-threaded pairs use wall-clock time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

/// Stack depths the pairs are timed at.
pub(crate) const DEPTHS: [usize; 4] = [0, 1, 3, 7];
/// Alternating A/B rounds per depth.
pub(crate) const ROUNDS: usize = 8;
/// Target time of one timed chunk.
const CHUNK: Duration = Duration::from_millis(15);

/// Which clock a ratio is read from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// CPU time of the measuring thread.
    ThreadCpu,
    /// Elapsed real time (for work spread over several threads).
    Wall,
}

/// Runs `f` below `depth` extra stack frames of 96 bytes each, so that its locals land at
/// another stack offset.
#[inline(never)]
fn at_depth(depth: usize, f: &mut dyn FnMut() -> (Duration, Duration)) -> (Duration, Duration) {
    let pad = black_box([0u8; 96]);
    if depth == 0 {
        return f();
    }
    let d = at_depth(depth - 1, f);
    black_box(pad);
    d
}

/// Nanoseconds per call of `f` over `n` calls at `depth`: (wall, thread CPU).
fn time_chunk(depth: usize, n: u32, f: &mut dyn FnMut()) -> (f64, f64) {
    let (wall, cpu) = at_depth(depth, &mut || {
        let cpu = ThreadTime::now();
        let wall = Instant::now();
        for _ in 0..n {
            f();
        }
        (wall.elapsed(), cpu.elapsed())
    });
    let per_call = |d: Duration| d.as_nanos() as f64 / f64::from(n);
    (per_call(wall), per_call(cpu))
}

/// How many calls of `f` fill one chunk.
fn calibrate(f: &mut dyn FnMut()) -> u32 {
    let mut n = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let t = start.elapsed();
        if t >= CHUNK / 4 || n >= 1 << 20 {
            let per_call = t.as_nanos().max(1) as f64 / f64::from(n);
            return ((CHUNK.as_nanos() as f64 / per_call).ceil() as u32).max(1);
        }
        n *= 2;
    }
}

/// The result of [`ratio`]: figures from the chosen clock, plus the wall-clock median.
pub(crate) struct Ratio {
    pub(crate) median: f64,
    min: f64,
    max: f64,
    per_depth: Vec<f64>,
    wall_median: f64,
    clock: Clock,
    a_ns: f64,
    b_ns: f64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The ratio time(a) / time(b) on `clock`, from interleaved rounds at every depth.
pub(crate) fn ratio(clock: Clock, a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> Ratio {
    let na = calibrate(a);
    let nb = calibrate(b);
    let pick = |t: (f64, f64)| if clock == Clock::Wall { t.0 } else { t.1 };
    let (mut all, mut wall, mut per_depth) = (Vec::new(), Vec::new(), Vec::new());
    let (mut a_all, mut b_all) = (Vec::new(), Vec::new());
    for &depth in &DEPTHS {
        let mut here = Vec::new();
        for round in 0..ROUNDS {
            let (ta, tb) = if round % 2 == 0 {
                let ta = time_chunk(depth, na, a);
                (ta, time_chunk(depth, nb, b))
            } else {
                let tb = time_chunk(depth, nb, b);
                (time_chunk(depth, na, a), tb)
            };
            here.push(pick(ta) / pick(tb));
            wall.push(ta.0 / tb.0);
            a_all.push(pick(ta));
            b_all.push(pick(tb));
        }
        all.extend_from_slice(&here);
        per_depth.push(median(&mut here));
    }
    Ratio {
        median: median(&mut all),
        min: all.iter().copied().fold(f64::INFINITY, f64::min),
        max: all.iter().copied().fold(0.0, f64::max),
        per_depth,
        wall_median: median(&mut wall),
        clock,
        a_ns: median(&mut a_all),
        b_ns: median(&mut b_all),
    }
}

/// Prints the header of a ratio table.
pub(crate) fn print_header() {
    println!(
        "ratio: median of {} alternating rounds at stack depths {DEPTHS:?}, by thread CPU time \
         (wall-clock median beside it); times are medians per call",
        ROUNDS * DEPTHS.len()
    );
    println!(
        "{:<48} {:>6}  {:<8} {:>6}  {:<15}  {:<27}  A / B",
        "comparison (A / B)", "ratio", "target", "wall", "range", "by depth"
    );
}

/// Prints one row of a ratio table.
pub(crate) fn print_row(what: &str, target: &str, r: &Ratio) {
    let depths: Vec<String> = r.per_depth.iter().map(|x| format!("{x:.3}")).collect();
    let clock = if r.clock == Clock::Wall {
        " (wall)"
    } else {
        ""
    };
    println!(
        "{what:<48} {:>6.3}  {target:<8} {:>6.3}  {:<15}  {:<27}  {:.1} µs / {:.1} µs{clock}",
        r.median,
        r.wall_median,
        format!("[{:.3}–{:.3}]", r.min, r.max),
        depths.join(" "),
        r.a_ns / 1e3,
        r.b_ns / 1e3,
    );
}

/// What a bench binary with a ratio table was asked for on its command line.
pub(crate) struct Mode {
    /// Run the criterion benchmarks (everything but `-- ratios`).
    pub(crate) criterion: bool,
    /// Print the ratio table: with `-- ratios`, or under `cargo bench` with no filter (the
    /// table takes a minute or more, too long for a filtered run, `--test` or `--list`).
    pub(crate) table: bool,
}

pub(crate) fn mode() -> Mode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench_mode = args.iter().any(|a| a == "--bench");
    let ratios_only = args.iter().any(|a| a == "ratios");
    let filtered = args.iter().any(|a| !a.starts_with('-'))
        || args.iter().any(|a| a == "--test" || a == "--list");
    Mode {
        criterion: !ratios_only,
        table: ratios_only || (bench_mode && !filtered),
    }
}
