import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ValidationError } from '../../shared/index.ts';
import { VOICE_TABLE, findLanguage, isSupportedLanguage, listVoices, resolveVoice } from './index.ts';

describe('voice table', () => {
  it('covers at least 50 languages, each with a male and a female voice', () => {
    const bases = new Set(VOICE_TABLE.map((e) => e.language.split('-')[0]));
    assert.ok(bases.size >= 50, `${bases.size} base languages`);
    const voices = listVoices();
    for (const entry of VOICE_TABLE) {
      const genders = voices.filter((v) => v.language === entry.language).map((v) => v.gender);
      assert.ok(genders.includes('male') && genders.includes('female'), entry.language);
    }
    assert.equal(new Set(voices.map((v) => v.voice_id)).size, voices.length, 'voice ids are unique');
    assert.equal(new Set(VOICE_TABLE.map((e) => e.language.toLowerCase())).size, VOICE_TABLE.length, 'tags are unique');
  });

  it('has the regional accents callers ask for', () => {
    const tags = [
      'en-US',
      'en-GB',
      'es-ES',
      'es-419',
      'fr-FR',
      'fr-BE',
      'pt-BR',
      'pt-PT',
      'de-DE',
      'it-IT',
      'nl-NL',
      'ko-KR',
      'ja-JP',
      'zh-CN',
      'ar',
      'hi-IN',
      'ru-RU',
      'tr-TR',
      'pl-PL',
      'sv-SE',
    ];
    for (const tag of tags) assert.equal(findLanguage(tag)?.language, tag);
    assert.notEqual(findLanguage('pt-BR')?.espeakVoice, findLanguage('pt-PT')?.espeakVoice);
    assert.notEqual(findLanguage('es-419')?.espeakVoice, findLanguage('es-ES')?.espeakVoice);
  });

  it('only names voices this espeak-ng installation has', () => {
    const listed = execFileSync('espeak-ng', ['--voices'], { encoding: 'utf8' });
    const names = new Set(
      listed
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[4]),
    );
    for (const entry of VOICE_TABLE) assert.ok(names.has(entry.espeakVoice), `${entry.language}: ${entry.espeakVoice}`);
  });
});

describe('resolveVoice', () => {
  it('matches tags case-insensitively and accepts underscores', () => {
    assert.equal(resolveVoice('PT-br', 'female').espeakArg, 'roa/pt-BR+f3');
    assert.equal(resolveVoice('en_gb', 'male').espeakArg, 'gmw/en+m3');
    assert.equal(resolveVoice('fr-be', 'neutral').espeakArg, 'roa/fr-BE');
  });

  it('falls back from xx-YY to the base language', () => {
    assert.equal(findLanguage('de-AT')?.language, 'de-DE');
    assert.equal(findLanguage('zh-Hans-CN')?.language, 'zh-CN');
    assert.equal(findLanguage('en')?.language, 'en-US');
    assert.equal(findLanguage('ar-EG')?.language, 'ar');
    assert.equal(findLanguage('es-MX')?.language, 'es-419');
  });

  it('refuses an unknown language with UNSUPPORTED_LANGUAGE naming it', () => {
    assert.equal(isSupportedLanguage('xx-YY'), false);
    assert.equal(isSupportedLanguage(''), false);
    assert.equal(isSupportedLanguage('ko-KR'), true);
    assert.throws(
      () => resolveVoice('xx-YY', 'male'),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.code === 'UNSUPPORTED_LANGUAGE' &&
        err.details[0]?.field === 'language' &&
        err.message.includes('xx-YY'),
    );
  });

  it('accepts listed voice ids and refuses others', () => {
    const female = listVoices().find((v) => v.language === 'it-IT' && v.gender === 'female');
    assert.ok(female);
    assert.equal(female.voice_id, 'espeak-it-IT-female');
    assert.equal(resolveVoice('en-US', 'male', female.voice_id).espeakArg, 'roa/it+f3');
    assert.throws(
      () => resolveVoice('en-US', 'male', 'espeak-en-US-evil'),
      (err: unknown) => err instanceof ValidationError && err.code === 'UNSUPPORTED_VOICE',
    );
  });
});
