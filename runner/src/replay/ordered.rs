//! Runs one job per file on rayon's pool and hands the results back in file order as soon as
//! each one and all before it are done, so reports stream out deterministically while memory
//! stays flat: a file's lines live only inside its job, and `par_bridge` takes files in order,
//! so at most about one result per worker waits for an earlier one.

use std::collections::BTreeMap;
use std::sync::mpsc;

use rayon::iter::{ParallelBridge, ParallelIterator};

/// Calls `work` on every item (in parallel) and `sink` on every result (on this thread, in
/// item order).
pub fn for_each_in_order<T, R>(items: &[T], work: impl Fn(&T) -> R + Sync, mut sink: impl FnMut(R))
where
    T: Sync,
    R: Send,
{
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        let work = &work;
        scope.spawn(move || {
            items
                .iter()
                .enumerate()
                .par_bridge()
                .for_each_with(tx, |tx, (index, item)| {
                    // The receiver outlives every sender: it is drained below until they drop.
                    let _ = tx.send((index, work(item)));
                });
        });
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (index, result) in rx {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&next) {
                sink(result);
                next += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_order_they_finish_in() {
        let items: Vec<u64> = (0..200).collect();
        let mut seen = Vec::new();
        for_each_in_order(
            &items,
            |&i| {
                // Early items finish last.
                std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
                i * 2
            },
            |r| seen.push(r),
        );
        let want: Vec<u64> = (0..200).map(|i| i * 2).collect();
        assert_eq!(seen, want);
    }
}
