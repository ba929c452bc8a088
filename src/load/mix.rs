//! What a trial sends: probes of one size, or of a mix of sizes (the simple
//! IMIX, or the user's). A frame's size is a function of its sequence number,
//! spread evenly over a repeating pattern, so the receiver knows what each
//! frame must be without being told.

use std::fmt;

use l2_probe::ProbeSpec;

/// The simple IMIX, 7:4:1 of 64, 594 and 1518-byte frames with their FCS:
/// 60, 590 and 1514 here, as every size l2_load takes is without it.
pub const IMIX: [(usize, u32); 3] = [(60, 7), (590, 4), (1514, 1)];
/// The longest repeating pattern: the weights of a mix add up to at most this.
pub const MAX_PATTERN: u32 = 4096;

/// Frame sizes in bytes (without FCS), each with its weight: one size, or a mix.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeMix {
    entries: Vec<(usize, u32)>,
    imix: bool,
}

impl SizeMix {
    /// Every frame `size` bytes.
    pub fn one(size: usize) -> SizeMix {
        SizeMix { entries: vec![(size, 1)], imix: false }
    }

    /// The simple IMIX.
    pub fn imix() -> SizeMix {
        SizeMix { entries: IMIX.to_vec(), imix: true }
    }

    /// A mix of `(size, weight)`: `weight` frames of `size` in every
    /// pattern (the weights at least 1, adding up to [`MAX_PATTERN`] at most:
    /// the options check them).
    pub fn of(entries: Vec<(usize, u32)>) -> SizeMix {
        SizeMix { entries, imix: false }
    }

    /// The sizes, each once per entry.
    pub fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|&(size, _)| size)
    }

    /// The weights' sum: the frames in one pattern.
    pub fn total_weight(&self) -> u64 {
        self.entries.iter().map(|&(_, w)| u64::from(w)).sum()
    }

    /// More than one size, or a size given a weight: not a plain size.
    pub fn is_mix(&self) -> bool {
        self.imix || self.entries.len() > 1 || self.entries[0].1 > 1
    }

    /// The mean frame size, by weight.
    pub fn mean(&self) -> f64 {
        let bytes: u64 = self.entries.iter().map(|&(size, w)| size as u64 * u64::from(w)).sum();
        bytes as f64 / self.total_weight() as f64
    }

    /// The size a report gives: a mix's mean, to the byte.
    pub fn bytes(&self) -> usize {
        self.mean().round() as usize
    }

    /// The mix as `--size` takes it, for a report (None: a plain size).
    pub fn label(&self) -> Option<String> {
        self.is_mix().then(|| self.to_string())
    }

    /// For people: "60 B", or the mix.
    pub fn name(&self) -> String {
        match self.label() {
            Some(mix) => mix,
            None => format!("{} B", self.entries[0].0),
        }
    }

    /// Which entry each frame of the pattern takes, spread as evenly as the
    /// weights allow (a smooth weighted round robin: each turn every entry
    /// gains its weight, the one furthest ahead is taken and pays the
    /// total), so that no size comes in a long run of its own.
    pub fn pattern(&self) -> Vec<u8> {
        let total = self.total_weight() as i64;
        let mut credit = vec![0i64; self.entries.len()];
        (0..total)
            .map(|_| {
                for (c, &(_, w)) in credit.iter_mut().zip(&self.entries) {
                    *c += i64::from(w);
                }
                let (taken, _) =
                    credit.iter().enumerate().max_by_key(|&(i, c)| (*c, -(i as i64))).expect("an entry");
                credit[taken] -= total;
                taken as u8
            })
            .collect()
    }
}

/// "60", "imix", or "60:7,590:4,1514:1": as `--size` takes it.
impl fmt::Display for SizeMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.imix {
            return f.write_str("imix");
        }
        if !self.is_mix() {
            return write!(f, "{}", self.entries[0].0);
        }
        let entries: Vec<String> = self.entries.iter().map(|(size, w)| format!("{size}:{w}")).collect();
        f.write_str(&entries.join(","))
    }
}

/// Division by a constant as two multiplications (Lemire's "faster
/// remainder"): the frame's place in the pattern, per frame, without a
/// divide instruction.
#[derive(Debug, Clone, Copy)]
struct Remainder {
    divisor: u32,
    magic: u64,
}

impl Remainder {
    fn new(divisor: u32) -> Remainder {
        assert!(divisor > 1, "no remainder to take");
        Remainder { divisor, magic: u64::MAX / u64::from(divisor) + 1 }
    }

    #[inline(always)]
    fn of(&self, n: u32) -> u32 {
        let low = self.magic.wrapping_mul(u64::from(n));
        ((u128::from(low) * u128::from(self.divisor)) >> 64) as u32
    }
}

/// How a trial finds the probe of each frame it sends and receives. A
/// trial's loop is generic over it, so that a plain size's loop looks
/// nothing up per frame.
pub trait Specs {
    /// The spec frame `seq` is built and checked with.
    fn spec(&self, seq: u64) -> &ProbeSpec;
    /// The spec to judge a received frame with.
    fn spec_for(&self, frame: &[u8]) -> &ProbeSpec;
}

/// A plain size: one spec for every frame.
impl Specs for ProbeSpec {
    #[inline(always)]
    fn spec(&self, _seq: u64) -> &ProbeSpec {
        self
    }

    #[inline(always)]
    fn spec_for(&self, _frame: &[u8]) -> &ProbeSpec {
        self
    }
}

/// A mix: a spec per entry, and the pattern that says which spec each
/// sequence number is built and checked with.
#[derive(Debug, Clone)]
pub struct Mixed {
    specs: Vec<ProbeSpec>,
    pattern: Vec<u8>,
    place: Remainder,
}

impl Specs for Mixed {
    /// The pattern's place of the low 32 bits of `seq` (a trial holds at
    /// most 10^9 frames).
    #[inline(always)]
    fn spec(&self, seq: u64) -> &ProbeSpec {
        &self.specs[usize::from(self.pattern[self.place.of(seq as u32) as usize])]
    }

    /// Its sequence number's spec, if it is a probe of ours (every spec of a
    /// mix identifies the same frames); the first otherwise, which calls it so.
    #[inline(always)]
    fn spec_for(&self, frame: &[u8]) -> &ProbeSpec {
        match self.specs[0].identify(frame) {
            Some((seq, _)) => self.spec(seq),
            None => &self.specs[0],
        }
    }
}

/// A trial's probes: one spec, or a mix's.
#[derive(Debug, Clone)]
pub enum Frames {
    One(ProbeSpec),
    Mixed(Mixed),
}

/// A row's probes and the mix they come from.
#[derive(Debug, Clone)]
pub struct Probes {
    frames: Frames,
    mix: SizeMix,
}

impl Probes {
    /// The probes of `mix`, a spec per size from `spec_of`.
    pub fn new(
        mix: &SizeMix,
        spec_of: impl Fn(usize) -> Result<ProbeSpec, String>,
    ) -> Result<Probes, String> {
        let mut specs = mix.sizes().map(spec_of).collect::<Result<Vec<_>, _>>()?;
        let pattern = mix.pattern();
        let frames = if pattern.len() == 1 {
            Frames::One(specs.swap_remove(0))
        } else {
            let place = Remainder::new(pattern.len() as u32);
            Frames::Mixed(Mixed { specs, pattern, place })
        };
        Ok(Probes { frames, mix: mix.clone() })
    }

    /// The same probes under `session`.
    pub fn with_session(&self, session: u32) -> Probes {
        let frames = match &self.frames {
            Frames::One(spec) => Frames::One(spec.with_session(session)),
            Frames::Mixed(m) => Frames::Mixed(Mixed {
                specs: m.specs.iter().map(|s| s.with_session(session)).collect(),
                ..m.clone()
            }),
        };
        Probes { frames, mix: self.mix.clone() }
    }

    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    /// The spec of every frame of a plain size, a mix's first otherwise: its
    /// session, flows and addresses are every spec's.
    pub fn first(&self) -> &ProbeSpec {
        match &self.frames {
            Frames::One(spec) => spec,
            Frames::Mixed(m) => &m.specs[0],
        }
    }

    pub fn mix(&self) -> &SizeMix {
        &self.mix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use l2_probe::{Expect, Mac, Verdict};

    #[test]
    fn the_remainder_is_the_division_s_for_every_pattern_length() {
        for divisor in [2, 3, 7, 12, 13, 1000, 4095, MAX_PATTERN] {
            let r = Remainder::new(divisor);
            let samples = (0..5000).chain([u32::MAX - 1, u32::MAX, 1 << 31, 999_999_999, 123_456_789]);
            for n in samples {
                assert_eq!(r.of(n), n % divisor, "{n} % {divisor}");
            }
        }
    }

    #[test]
    fn the_imix_pattern_spreads_7_4_1_over_12_frames() {
        let imix = SizeMix::imix();
        assert_eq!(
            imix.pattern(),
            [0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0],
            "no size twice in a row but the small"
        );
        assert_eq!((imix.total_weight(), imix.to_string()), (12, "imix".to_string()));
        assert!((imix.mean() - 4294.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn every_pattern_holds_each_size_its_weight_times() {
        for entries in [vec![(60, 1), (1514, 1)], vec![(64, 3)], vec![(60, 5), (128, 2), (256, 9), (1500, 1)]]
        {
            let mix = SizeMix::of(entries.clone());
            let pattern = mix.pattern();
            assert_eq!(pattern.len() as u64, mix.total_weight());
            for (i, &(_, w)) in entries.iter().enumerate() {
                assert_eq!(
                    pattern.iter().filter(|&&p| usize::from(p) == i).count(),
                    w as usize,
                    "{entries:?}"
                );
            }
        }
    }

    #[test]
    fn a_plain_size_reads_as_a_number_and_a_mix_as_its_entries() {
        assert_eq!((SizeMix::one(60).to_string(), SizeMix::one(60).is_mix()), ("60".into(), false));
        assert_eq!(
            (SizeMix::one(60).label(), SizeMix::one(60).name(), SizeMix::one(60).bytes()),
            (None, "60 B".into(), 60)
        );
        let imix = SizeMix::imix();
        assert_eq!((imix.label(), imix.name(), imix.bytes()), (Some("imix".into()), "imix".into(), 358));
        assert_eq!(SizeMix::one(60).pattern(), [0]);
        let mix = SizeMix::of(vec![(60, 7), (1514, 1)]);
        assert_eq!((mix.to_string(), mix.is_mix()), ("60:7,1514:1".into(), true));
        assert!(SizeMix::of(vec![(64, 3)]).is_mix(), "one size given a weight is still a mix");
        assert!(SizeMix::of(vec![(60, 1), (1514, 1)]).is_mix(), "two sizes, a frame each");
        assert_eq!(SizeMix::of(vec![(64, 3)]).mean(), 64.0);
    }

    const US: Mac = Mac([2, 0, 0, 0, 0, 0x10]);
    const ECHO: Mac = Mac([2, 0, 0, 0, 0, 0xe1]);

    fn probes(mix: &SizeMix) -> Probes {
        Probes::new(mix, |size| ProbeSpec::new(US, ECHO, Expect::Swap, size, 0, 7)).unwrap()
    }

    fn mixed(p: &Probes) -> &Mixed {
        match p.frames() {
            Frames::Mixed(m) => m,
            Frames::One(_) => panic!("one spec"),
        }
    }

    #[test]
    fn a_plain_size_is_one_spec_and_a_mix_a_pattern_of_them() {
        assert!(matches!(probes(&SizeMix::one(64)).frames(), Frames::One(s) if s.size() == 64));
        assert!(matches!(probes(&SizeMix::of(vec![(64, 1)])).frames(), Frames::One(_)), "a pattern of one");
        assert_eq!(mixed(&probes(&SizeMix::of(vec![(64, 3)]))).pattern, [0, 0, 0], "one size, weighed");
        assert_eq!(probes(&SizeMix::imix()).first().size(), 60);
    }

    #[test]
    fn each_frame_is_built_and_checked_at_its_place_in_the_pattern() {
        let p = mixed(&probes(&SizeMix::imix())).clone();
        let sizes: Vec<usize> = (0..24).map(|seq| p.spec(seq).size()).collect();
        let once = [60, 590, 60, 60, 590, 60, 1514, 60, 590, 60, 590, 60];
        assert_eq!(sizes, [once, once].concat(), "the pattern repeats");
        let mut frame = Vec::new();
        for seq in [0, 6, 1_000_000_006] {
            p.spec(seq).build(seq, 99, &mut frame);
            // What swap mode sends back: the addresses swapped.
            let (dst, src) = (frame[..6].to_vec(), frame[6..12].to_vec());
            frame[..6].copy_from_slice(&src);
            frame[6..12].copy_from_slice(&dst);
            let spec = p.spec_for(&frame);
            assert_eq!(spec.size(), frame.len(), "seq {seq}");
            assert_eq!(spec.check(&frame, seq, 99), Verdict::Good, "seq {seq}");
        }
        assert_eq!(p.spec_for(&[0; 64]).size(), 60, "not a probe: the first spec, which calls it so");
    }

    #[test]
    fn a_session_reaches_every_size_s_spec() {
        let p = probes(&SizeMix::imix()).with_session(42);
        assert!((0..12).all(|seq| mixed(&p).spec(seq).session() == 42));
        assert_eq!(p.first().session(), 42);
        assert_eq!(probes(&SizeMix::one(60)).with_session(43).first().session(), 43);
    }
}
