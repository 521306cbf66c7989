import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { audio } from '../testing/speech-audio.ts';
import { AmdDetector } from './amd-detector.ts';

function detect(frames: Int16Array[]): string | undefined {
  const detector = new AmdDetector();
  for (const frame of frames) if (detector.push(frame) !== undefined) break;
  return detector.result;
}

describe('amd detector', () => {
  test('long continuous speech is a MACHINE greeting', () => {
    assert.equal(
      detect(
        audio([
          ['silence', 300],
          ['speech', 4000],
        ]),
      ),
      'MACHINE',
    );
  });

  test('a short utterance followed by silence is a HUMAN', () => {
    assert.equal(
      detect(
        audio([
          ['silence', 400],
          ['speech', 600],
          ['silence', 2000],
        ]),
      ),
      'HUMAN',
    );
  });

  test('silence only, or nothing clear within the analysis window, is NOTSURE', () => {
    assert.equal(detect(audio([['silence', 6000]])), 'NOTSURE');
    assert.equal(
      detect(
        audio([
          ['speech', 1700],
          ['silence', 500],
          ['speech', 1700],
          ['silence', 500],
          ['speech', 1000],
        ]),
      ),
      'NOTSURE',
    );
  });
});
