//! Undo and redo over the text model. The textarea's own history cannot serve: it holds only a
//! window of the text, and the page replaces its value whenever the window moves or a quick fix
//! lands, which clears what the browser remembers.
use super::Splice;

/// Keystrokes this close together, each continuing where the last ended, undo as one step.
const MERGE_MS: f64 = 1000.0;

/// Steps kept; older ones are dropped.
const MAX_STEPS: usize = 500;

/// One undoable change: applying `undo` reverts it, `redo` makes it again.
#[derive(Debug, Clone)]
struct Step {
    undo: Splice,
    redo: Splice,
    at_ms: f64,
    /// Typed (not pasted, fixed or replaced): may merge with the next keystroke.
    typing: bool,
}

#[derive(Debug, Default)]
pub struct History {
    done: Vec<Step>,
    undone: Vec<Step>,
}

impl History {
    /// Records `redo` (the splice just applied) with its `undo`. Typing that continues the last
    /// typed step within a second extends it.
    pub fn record(&mut self, redo: Splice, undo: Splice, at_ms: f64, typing: bool) {
        self.undone.clear();
        if typing {
            if let Some(last) = self.done.last_mut() {
                if last.typing && at_ms - last.at_ms < MERGE_MS && merge(last, &redo) {
                    last.at_ms = at_ms;
                    return;
                }
            }
        }
        self.done.push(Step {
            undo,
            redo,
            at_ms,
            typing,
        });
        if self.done.len() > MAX_STEPS {
            self.done.remove(0);
        }
    }

    /// The splice that undoes the last step, which moves to the redo list.
    pub fn undo(&mut self) -> Option<Splice> {
        let step = self.done.pop()?;
        let s = step.undo.clone();
        self.undone.push(step);
        Some(s)
    }

    /// The splice that makes the last undone step again.
    pub fn redo(&mut self) -> Option<Splice> {
        let step = self.undone.pop()?;
        let s = step.redo.clone();
        self.done.push(Step {
            typing: false,
            ..step
        });
        Some(s)
    }
}

/// Folds a keystroke into the previous typed step when it inserts right after it or deletes
/// backwards from its end; false when it does neither.
fn merge(last: &mut Step, redo: &Splice) -> bool {
    let end = last.redo.end_after();
    // Typing on: insert at the end of what the step inserted.
    if redo.range.is_empty() && redo.range.start == end {
        last.redo.insert.push_str(&redo.insert);
        last.undo.range.end += redo.insert.len();
        return true;
    }
    // Backspace over what the step typed.
    if redo.insert.is_empty() && redo.range.end == end && redo.range.start >= last.redo.range.start
    {
        let cut = redo.range.len();
        last.redo.insert.truncate(last.redo.insert.len() - cut);
        last.undo.range.end -= cut;
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;

    fn typed(t: &mut Text, h: &mut History, s: Splice, at: f64, typing: bool) {
        let undo = t.apply(&s);
        h.record(s, undo, at, typing);
    }

    fn ins(at: usize, s: &str) -> Splice {
        Splice {
            range: at..at,
            insert: s.into(),
        }
    }

    #[test]
    fn a_run_of_typing_undoes_as_one_step_and_redoes() {
        let mut t = Text::default();
        t.replace("m f=1 1");
        let mut h = History::default();
        typed(&mut t, &mut h, ins(5, "2"), 0.0, true);
        typed(&mut t, &mut h, ins(6, "3"), 100.0, true);
        typed(&mut t, &mut h, ins(7, "4"), 200.0, true);
        assert_eq!(t.to_text(), "m f=1234 1");
        let u = h.undo().expect("a step");
        t.apply(&u);
        assert_eq!(t.to_text(), "m f=1 1");
        let r = h.redo().expect("the step again");
        t.apply(&r);
        assert_eq!(t.to_text(), "m f=1234 1");
    }

    #[test]
    fn a_pause_a_jump_or_a_paste_starts_a_new_step() {
        let mut t = Text::default();
        t.replace("abc");
        let mut h = History::default();
        typed(&mut t, &mut h, ins(3, "d"), 0.0, true);
        typed(&mut t, &mut h, ins(4, "e"), 5000.0, true);
        typed(&mut t, &mut h, ins(0, "z"), 5100.0, true);
        typed(&mut t, &mut h, ins(6, "PASTE"), 5200.0, false);
        for want in ["zabcde", "abcde", "abcd", "abc"] {
            let u = h.undo().expect("a step");
            t.apply(&u);
            assert_eq!(t.to_text(), want);
        }
        assert!(h.undo().is_none());
    }

    #[test]
    fn backspace_over_fresh_typing_stays_in_its_step() {
        let mut t = Text::default();
        t.replace("ab");
        let mut h = History::default();
        typed(&mut t, &mut h, ins(2, "xyz"), 0.0, true);
        typed(
            &mut t,
            &mut h,
            Splice {
                range: 4..5,
                insert: String::new(),
            },
            10.0,
            true,
        );
        assert_eq!(t.to_text(), "abxy");
        let u = h.undo().expect("a step");
        t.apply(&u);
        assert_eq!(t.to_text(), "ab");
    }
}
