import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROW_ESTIMATE, VirtualList } from '../../webview/curation/virtualList';

/** A list of rows with the given heights (all measured). */
function listOf(heights: number[]): VirtualList {
  const list = new VirtualList(100);
  list.reset(heights.length, (i) => heights[i]);
  return list;
}

test('virtual list: unmeasured rows take the estimate, measured ones their height; offsets add up', () => {
  const list = new VirtualList();
  list.reset(4, (i) => (i === 1 ? 50 : undefined));
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => list.heightOf(i)),
    [ROW_ESTIMATE, 50, ROW_ESTIMATE, ROW_ESTIMATE],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => list.offsetOf(i)),
    [0, ROW_ESTIMATE, ROW_ESTIMATE + 50, 2 * ROW_ESTIMATE + 50, 3 * ROW_ESTIMATE + 50],
  );
  assert.equal(list.totalHeight, 3 * ROW_ESTIMATE + 50);
  // A known height of 0 (a row never laid out) is no measurement.
  list.reset(2, () => 0);
  assert.equal(list.totalHeight, 2 * ROW_ESTIMATE);
  // An empty list.
  list.reset(0);
  assert.equal(list.totalHeight, 0);
  assert.equal(list.indexAt(500), 0);
  assert.deepEqual(list.visibleRange(0, 800, 800), { first: 0, last: 0 });
});

test('virtual list: indexAt finds the row under a y, at row edges and past the end', () => {
  const list = listOf([10, 20, 30, 40]); // tops 0, 10, 30, 60; end 100
  assert.equal(list.indexAt(0), 0);
  assert.equal(list.indexAt(9.9), 0);
  assert.equal(list.indexAt(10), 1, 'a row starts where the one above ends');
  assert.equal(list.indexAt(29), 1);
  assert.equal(list.indexAt(30), 2);
  assert.equal(list.indexAt(99), 3);
  assert.equal(list.indexAt(1e9), 3, 'past the end: the last row');
  assert.equal(list.indexAt(-5), 0);
});

test('virtual list: the visible range covers the viewport plus the overscan, and no more', () => {
  const list = listOf(new Array(1000).fill(100)); // 100 px rows
  assert.deepEqual(list.visibleRange(0, 500, 0), { first: 0, last: 5 });
  assert.deepEqual(list.visibleRange(0, 500, 200), { first: 0, last: 7 });
  assert.deepEqual(list.visibleRange(5000, 500, 200), { first: 48, last: 57 });
  assert.deepEqual(list.visibleRange(5050, 500, 0), { first: 50, last: 56 }, 'a row cut at the top or bottom is shown');
  assert.deepEqual(list.visibleRange(99_600, 400, 800), { first: 988, last: 1000 }, 'clamped at the end');
});

test('virtual list: measured heights replace the estimate; the view stays put when a row above it grows', () => {
  const list = new VirtualList(100);
  list.reset(10);
  // Scrolled to row 5, 30 px into it.
  const top = list.scrollTopOf(5, 30);
  assert.equal(top, 530);
  // Rows 3..7 are mounted and measured: 3 and 4 (above the top row) grew, 6 shrank, 5 is unchanged.
  const { changed, shift } = list.measure(
    [
      [3, 160],
      [4, 130],
      [5, 100],
      [6, 40],
      [7, 100.3], // within half a pixel: layout noise, not a change
    ],
    top,
  );
  assert.equal(changed, true);
  assert.equal(shift, 60 + 30, 'the rows above the top row grew by 90 px');
  assert.equal(list.heightOf(7), 100);
  // After applying the shift, the same row is at the top, the same 30 px into it.
  assert.deepEqual(list.anchorAt(top + shift), { index: 5, delta: 30 });
  assert.equal(list.totalHeight, 1000 + 60 + 30 - 60);
  // The top row itself and rows below it changing height do not move the view.
  const again = list.measure(
    [
      [5, 300],
      [8, 10],
    ],
    top + shift,
  );
  assert.deepEqual(again, { changed: true, shift: 0 });
  assert.deepEqual(list.anchorAt(top + shift), { index: 5, delta: 30 });
});

test('virtual list: measuring nothing new changes nothing; bad entries are ignored', () => {
  const list = listOf([100, 100, 100]);
  assert.deepEqual(
    list.measure(
      [
        [0, 100],
        [1, 0],
        [7, 50],
        [-1, 50],
        [2, Number.NaN],
      ],
      150,
    ),
    { changed: false, shift: 0 },
  );
  assert.equal(list.totalHeight, 300);
});

test('virtual list: jumping to an index and restoring a saved position', () => {
  const list = listOf([100, 250, 80, 400, 120]);
  // Jump to row 3 with an 8 px margin above it (the review keys moving to an unmounted pair).
  assert.equal(list.scrollTopOf(3, -8), 100 + 250 + 80 - 8);
  assert.equal(list.scrollTopOf(0, -8), 0, 'never above the top');
  // Save where the list is, rebuild it with the same heights, restore: the same row, the same offset into it.
  const saved = list.anchorAt(500);
  assert.deepEqual(saved, { index: 3, delta: 70 });
  const rebuilt = listOf([100, 250, 80, 400, 120]);
  assert.equal(rebuilt.scrollTopOf(saved.index, saved.delta), 500);
  // Restored into a list whose rows above were not measured yet: the row is still at the top.
  const fresh = new VirtualList(100);
  fresh.reset(5);
  const restored = fresh.scrollTopOf(saved.index, saved.delta);
  assert.equal(restored, 370);
  assert.equal(fresh.indexAt(restored), 3);
});

test('virtual list: a new list keeps the heights measured for the same rows (by key), others take the estimate', () => {
  const list = new VirtualList(100);
  const before = [10, 11, 12, 13];
  list.reset(before.length);
  list.measure(
    [
      [1, 40],
      [2, 70],
    ],
    0,
  );
  const old = new Map(before.map((line, i) => [line, list.heightOf(i)]));
  const after = [12, 11, 99];
  list.reset(after.length, (i) => old.get(after[i]));
  assert.deepEqual(
    [0, 1, 2].map((i) => list.heightOf(i)),
    [70, 40, 100],
  );
});
