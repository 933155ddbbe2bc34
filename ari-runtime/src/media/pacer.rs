//! The outgoing side of a media session: audio cut into the frames
//! Asterisk plays (`optimal_frame_size` bytes, one per `ptime`), written
//! ahead of the playout by a bounded lead so that Asterisk's queue never
//! nears its limit (`MEDIA_XOFF` at 900 frames, whole messages silently
//! dropped at 1000), and held back entirely while Asterisk says `XOFF`.
//!
//! Asterisk plays one frame per tick while its queue holds any
//! (`webchan_read`); the pacer keeps the same clock to estimate that queue.

use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) struct Pacer {
    /// Bytes per frame; 0: every chunk is one frame (passthrough codecs).
    frame: usize,
    ptime: Duration,
    /// Frames written ahead of the playout at most.
    lead: u64,
    /// The format's silence, to complete a last partial frame.
    silence: Option<u8>,
    /// Whole frames and marks, in order, not yet written.
    queue: VecDeque<Due>,
    /// Frames in `queue`.
    frames: usize,
    /// Bytes short of a whole frame.
    partial: BytesMut,
    /// Frames written since `since`, the start of the current playout.
    written: u64,
    since: Option<Instant>,
    paused_at: Option<Instant>,
    xoff: bool,
}

/// What is due to be written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    Frame(Bytes),
    /// `MARK_MEDIA` with this correlation id, once every frame before it
    /// is written.
    Mark(String),
}

/// The byte a format's silence is made of, where it is one byte repeated.
pub(crate) fn silence_of(format: &str) -> Option<u8> {
    match format {
        "ulaw" => Some(0xFF),
        "alaw" => Some(0xD5),
        format if format.starts_with("slin") => Some(0x00),
        _ => None,
    }
}

impl Pacer {
    pub(crate) fn new(frame: usize, ptime: Duration, lead: u64, silence: Option<u8>) -> Self {
        Pacer {
            frame,
            ptime: ptime.max(Duration::from_millis(1)),
            lead: lead.max(1),
            silence,
            queue: VecDeque::new(),
            frames: 0,
            partial: BytesMut::new(),
            written: 0,
            since: None,
            paused_at: None,
            xoff: false,
        }
    }

    fn push_frame(&mut self, frame: Bytes) {
        self.queue.push_back(Due::Frame(frame));
        self.frames += 1;
    }

    pub(crate) fn push(&mut self, audio: Bytes) {
        if audio.is_empty() {
            return;
        }
        if self.frame == 0 {
            return self.push_frame(audio);
        }
        if self.partial.is_empty() {
            let mut audio = audio;
            while audio.len() >= self.frame {
                let frame = audio.split_to(self.frame);
                self.push_frame(frame);
            }
            self.partial.extend_from_slice(&audio);
            return;
        }
        self.partial.extend_from_slice(&audio);
        while self.partial.len() >= self.frame {
            let frame = self.partial.split_to(self.frame).freeze();
            self.push_frame(frame);
        }
    }

    /// Completes a last partial frame with silence, so that it is played
    /// (Asterisk drops a remainder shorter than a frame); without a known
    /// silence it is dropped here, where that is visible. Returns the bytes
    /// dropped.
    pub(crate) fn complete(&mut self) -> usize {
        let partial = self.partial.len();
        if partial == 0 {
            return 0;
        }
        match self.silence {
            Some(silence) => {
                self.partial.resize(self.frame, silence);
                let frame = self.partial.split().freeze();
                self.push_frame(frame);
                0
            }
            None => {
                self.partial.clear();
                partial
            }
        }
    }

    /// A mark after everything pushed so far (a partial frame completed).
    pub(crate) fn mark(&mut self, id: String) -> usize {
        let dropped = self.complete();
        self.queue.push_back(Due::Mark(id));
        dropped
    }

    /// Forgets what is not yet written (a flush) and Asterisk's queue, which
    /// the flush empties too; returns the marks that will never be reached.
    pub(crate) fn clear(&mut self) -> Vec<String> {
        let marks = self
            .queue
            .drain(..)
            .filter_map(|due| match due {
                Due::Mark(id) => Some(id),
                Due::Frame(_) => None,
            })
            .collect();
        self.frames = 0;
        self.partial.clear();
        self.written = 0;
        self.since = None;
        marks
    }

    pub(crate) fn set_xoff(&mut self, xoff: bool) {
        self.xoff = xoff;
    }

    pub(crate) fn pause(&mut self, now: Instant) {
        self.paused_at.get_or_insert(now);
    }

    pub(crate) fn resume(&mut self, now: Instant) {
        if let (Some(paused), Some(since)) = (self.paused_at.take(), self.since.as_mut()) {
            *since += now.saturating_duration_since(paused);
        }
    }

    /// Frames played since `since`, by Asterisk's clock.
    fn played(&self, now: Instant) -> u64 {
        let Some(since) = self.since else {
            return 0;
        };
        let until = self.paused_at.unwrap_or(now);
        let elapsed = until.saturating_duration_since(since);
        u64::try_from(elapsed.as_micros() / self.ptime.as_micros().max(1)).unwrap_or(u64::MAX)
    }

    /// Frames estimated in Asterisk's queue.
    pub(crate) fn queued(&self, now: Instant) -> u64 {
        self.written.saturating_sub(self.played(now))
    }

    /// Whole frames held here, not yet written.
    #[cfg(test)]
    pub(crate) fn backlog(&self) -> usize {
        self.frames
    }

    /// What may be written now, in order.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Due> {
        let mut due = Vec::new();
        if self.xoff || self.paused_at.is_some() {
            return due;
        }
        let queued = self.queued(now);
        if queued == 0 {
            // The playout ran dry: a new one starts with the next frame.
            self.written = 0;
            self.since = None;
        }
        let mut room = self.lead.saturating_sub(queued);
        while let Some(front) = self.queue.front() {
            if matches!(front, Due::Frame(_)) {
                if room == 0 {
                    break;
                }
                room -= 1;
                self.frames -= 1;
                self.written += 1;
                self.since.get_or_insert(now);
            }
            if let Some(next) = self.queue.pop_front() {
                due.push(next);
            }
        }
        due
    }

    /// When more may be written, if anything waits.
    pub(crate) fn next_due(&self, now: Instant) -> Option<Instant> {
        if self.xoff || self.paused_at.is_some() {
            return None;
        }
        match self.queue.front()? {
            Due::Mark(_) => Some(now),
            Due::Frame(_) if self.queued(now) < self.lead => Some(now),
            Due::Frame(_) => {
                let since = self.since?;
                // The frame that brings the queue below the lead has played then.
                let frames = u32::try_from(self.written - self.lead + 1).unwrap_or(u32::MAX);
                Some(since + self.ptime * frames)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS20: Duration = Duration::from_millis(20);

    fn sizes(due: &[Due]) -> Vec<usize> {
        due.iter()
            .map(|d| match d {
                Due::Frame(frame) => frame.len(),
                Due::Mark(_) => 0,
            })
            .collect()
    }

    #[test]
    fn audio_is_cut_into_whole_frames_and_a_mark_completes_the_last() {
        let mut pacer = Pacer::new(160, MS20, 50, Some(0xFF));
        let now = Instant::now();
        pacer.push(Bytes::from(vec![1u8; 400]));
        assert_eq!(sizes(&pacer.due(now)), [160, 160]);
        pacer.push(Bytes::from(vec![2u8; 100]));
        // 80 + 100 = 180: one more frame, 20 bytes waiting.
        assert_eq!(sizes(&pacer.due(now)), [160]);
        assert_eq!(pacer.mark("m1".into()), 0);
        let due = pacer.due(now);
        assert_eq!(sizes(&due), [160, 0]);
        let Due::Frame(last) = &due[0] else { panic!() };
        assert_eq!(&last[..20], &[2u8; 20]);
        assert!(last[20..].iter().all(|b| *b == 0xFF));
        assert_eq!(due[1], Due::Mark("m1".into()));
        // No known silence: the remainder is dropped, and said so.
        let mut opaque = Pacer::new(33, MS20, 50, None);
        opaque.push(Bytes::from(vec![0u8; 40]));
        assert_eq!(opaque.mark("m".into()), 7);
    }

    #[test]
    fn writes_stay_a_bounded_lead_ahead_of_the_playout() {
        let mut pacer = Pacer::new(160, MS20, 50, Some(0xFF));
        let start = Instant::now();
        // 10 s of audio at once, then a mark.
        pacer.push(Bytes::from(vec![0u8; 160 * 500]));
        pacer.mark("end".into());
        assert_eq!(pacer.due(start).len(), 50);
        assert!(pacer.due(start).is_empty());
        assert_eq!(pacer.next_due(start), Some(start + MS20));
        // After 1 s, 50 frames have played: 50 more may go.
        let later = start + Duration::from_secs(1);
        assert_eq!(pacer.queued(later), 0);
        assert_eq!(pacer.due(later).len(), 50);
        // XOFF stops everything until XON.
        pacer.set_xoff(true);
        assert!(pacer.due(later + Duration::from_secs(5)).is_empty());
        assert_eq!(pacer.next_due(later), None);
        pacer.set_xoff(false);
        assert!(!pacer.due(later + Duration::from_secs(5)).is_empty());
        // A flush forgets the rest, and names the marks it drops.
        assert_eq!(pacer.clear(), ["end"]);
        assert_eq!(pacer.backlog(), 0);
    }

    #[test]
    fn a_pause_stops_the_clock() {
        let mut pacer = Pacer::new(160, MS20, 10, Some(0xFF));
        let start = Instant::now();
        pacer.push(Bytes::from(vec![0u8; 160 * 40]));
        assert_eq!(pacer.due(start).len(), 10);
        pacer.pause(start + Duration::from_millis(100));
        assert_eq!(pacer.queued(start + Duration::from_secs(3)), 5);
        pacer.resume(start + Duration::from_secs(3));
        assert_eq!(pacer.queued(start + Duration::from_secs(3)), 5);
        assert_eq!(pacer.due(start + Duration::from_secs(3)).len(), 5);
    }
}
