import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../shared/index.ts';
import { SsrfGuard } from './ssrf-guard.ts';

const resolveTo = (map: Record<string, string[]>) => async (host: string) => map[host] ?? ['93.184.215.14'];
const blocked = (err: unknown) => err instanceof AppError && err.code === 'SSRF_BLOCKED';

describe('SSRF guard', () => {
  it('production refuses loopback, private, link-local and mapped addresses', async () => {
    const guard = new SsrfGuard({
      mode: 'production',
      resolve: resolveTo({ 'internal.example': ['10.1.2.3'], 'dual.example': ['93.184.215.14', '::1'] }),
    });
    for (const uri of [
      'http://127.0.0.1:8080/hook',
      'http://10.0.0.5/x',
      'http://172.20.1.1/x',
      'http://192.168.1.10/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[fd00::1]/x',
      'http://[fe80::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://0.0.0.0/x',
      'https://internal.example/hook',
      'https://dual.example/hook',
    ]) {
      await assert.rejects(guard.check(uri), blocked, uri);
    }
    assert.equal(guard.isBlockedAddress('100.64.0.1'), true);
    await guard.check('https://hooks.example.com/callbin');
    await guard.check('http://93.184.215.14/x');
    await guard.check('http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/x');
  });

  it('production allows what the allow-list names: an IP, a CIDR or a host', async () => {
    const guard = new SsrfGuard({
      mode: 'production',
      allow: ['127.0.0.1', '10.9.0.0/16', 'receiver.internal'],
      resolve: resolveTo({ 'receiver.internal': ['10.1.1.1'] }),
    });
    await guard.check('http://127.0.0.1:9000/hook');
    await guard.check('http://10.9.3.4/hook');
    await guard.check('http://receiver.internal/hook');
    await assert.rejects(guard.check('http://127.0.0.2/hook'), blocked);
    await assert.rejects(guard.check('http://10.8.0.1/hook'), blocked);
  });

  it('local mode allows every target', async () => {
    const guard = new SsrfGuard({ mode: 'local', resolve: async () => ['127.0.0.1'] });
    await guard.check('http://127.0.0.1:8080/hook');
    await guard.check('http://192.168.1.10/x');
    assert.equal(guard.isBlockedAddress('10.0.0.1'), false);
  });
});
