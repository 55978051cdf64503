/**
 * The verb–noun approximation checked by hand: 50 English instructions sampled (seed 50) from the shared MVBench,
 * TempCompass and L-Eval sets (first sentence; repeats kept as sampled), each labelled with what a dependency parse
 * gives in Data-Juicer's analysis (root VERB + its `dobj` when that is a NOUN; otherwise no pair). A pair of the
 * approximation agrees when it is the same pair, or when both have none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readInstructions } from '../../src/core/diversity/instructions';
import { verbAndObject } from '../../src/core/diversity/verbNoun';
import { sharedData } from '../support/helpers';
import * as fs from 'node:fs';

/** [first sentence, the dependency parse's (verb, object) or null]. */
const LABELLED: Array<[string, [string, string] | null]> = [
  ['What happened after the person opened the box?', null],
  ['What will the person do next?', null],
  ['What is the action performed by the person in the video?', null],
  ['What is the action performed by the person in the video?', null],
  ['Which one of these descriptions correctly matches the actions in the video?', ['match', 'action']],
  ['Which one of these descriptions correctly matches the actions in the video?', ['match', 'action']],
  ['What is the action performed by the person in the video?', null],
  ['Which one of these descriptions correctly matches the actions in the video?', ['match', 'action']],
  ['What is the action performed by the person in the video?', null],
  ['What is the action performed by the person in the video?', null],
  ['What unusual event was captured in the video?', null],
  ['Are there any moving red objects when the video ends?', null],
  ['Are there any metal objects that exit the scene?', null],
  ['Are there any moving cyan objects?', null],
  ['Which object was put down by the person?', null],
  ['Which object was tidied up by the person?', null],
  ['The person uses multiple similar objects to play an occlusion game.', ['use', 'object']],
  ['The person uses multiple similar objects to play an occlusion game.', ['use', 'object']],
  ['What direction is the brown cube moving in within the video?', null],
  ["In the given video, when does the action 'the person puts the book down' take place?", ['take', 'place']],
  ["At what moment in the video does the action 'person takes another box from the same shelf' occur?", null],
  ['Which choice matches the scene changes in the video?', ['match', 'change']],
  ["What's the right option for how the scenes in the video change?", null],
  ['Pick the choice that correctly describes how the scenes in the video change.', ['pick', 'choice']],
  ['How many moving rubber objects are there?', null],
  ['What is the color of the moving cube when the video begins?', null],
  ['What is the material of the green object that is stationary when the video begins?', null],
  ['The person interacts with a lighting device among other objects.', null],
  ['What can you say about the temperature of the water being poured?', null],
  ['What activity does the video depict?', ['depict', 'activity']],
  ['What was the order of the letters at the beginning?', null],
  [
    'This is a navigation video of an agent following instruction: "Walk up steps across patio and enter the house through the slider.',
    null,
  ],
  ['Which of the following will happen if the cylinder is removed?', null],
  ['What will happen if the cylinder is removed?', null],
  ['Which event will happen if the brown object is removed?', null],
  ['What will happen without the yellow object?', null],
  ['Which way is the child facing in relation to the man?', null],
  ["What is the direction of the light's movement?", null],
  ['What activity is the bear engaged in?', null],
  ["What is the direction of the person's movement?", null],
  ['What direction is the robot vacuum cleaner moving in the video?', null],
  ['What can be observed visually on the pink liquid?', null],
  ['What is the final shape of the 3d pixel?', null],
  ['What is the cat doing in the video?', null],
  ['Which action are the passengers performing inside the subway?', ['perform', 'action']],
  ['Question 5.', null],
  ['Is it okay if I ask another question about multiple party or contested claims?', null],
  ['What baselines were used in this work?', null],
  ['Do they improve on state-of-the-art semantic role induction?', null],
  ['How do they obtain the lexicon?', ['obtain', 'lexicon']],
];

test('verb–noun approximation agrees with a dependency parse on at least 90 % of 50 hand-labelled shared instructions', async () => {
  const pool = new Set<string>();
  const files = [
    sharedData('video-instructions', 'mvbench.jsonl'),
    sharedData('video-instructions', 'tempcompass.jsonl'),
    ...fs.readdirSync(sharedData('long-text')).map((f) => sharedData('long-text', f)),
  ];
  for (const file of files) {
    for await (const i of readInstructions(file)) {
      pool.add(i.text);
    }
  }
  let agree = 0;
  const misses: string[] = [];
  for (const [sentence, expected] of LABELLED) {
    assert.ok(
      [...pool].some((text) => text.startsWith(sentence.slice(0, 60))),
      `a real instruction: ${sentence}`,
    );
    const { verb, noun } = verbAndObject(sentence);
    const got = verb && noun ? [verb, noun] : null;
    if (JSON.stringify(got) === JSON.stringify(expected)) {
      agree++;
    } else {
      misses.push(`${sentence} → ${JSON.stringify(got)}, parse ${JSON.stringify(expected)}`);
    }
  }
  console.log(`verb–noun agreement with the hand-labelled parse: ${agree}/${LABELLED.length}\n${misses.join('\n')}`);
  assert.ok(agree / LABELLED.length >= 0.9, `${agree}/${LABELLED.length}`);
});
