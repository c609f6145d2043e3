import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HELP, parseComment, targetOf } from '../../src/chatops/parse.js';
import { handleDelivery, jobKey, type CommentJob } from '../../src/chatops/webhook.js';
import { commentPayload, SECRET, signed } from './fixtures.js';

const log = pino({ level: 'silent' });

function deps(): { accepted: CommentJob[]; deps: Parameters<typeof handleDelivery>[2] } {
  const accepted: CommentJob[] = [];
  const seen = new Set<string>();
  return {
    accepted,
    deps: {
      secret: SECRET,
      log,
      accept: (job) => {
        if (seen.has(jobKey(job))) return Promise.resolve(false);
        seen.add(jobKey(job));
        accepted.push(job);
        return Promise.resolve(true);
      },
    },
  };
}

describe('comment commands', () => {
  it('reads the first line only, in any case', () => {
    expect(parseComment('/sluice promote')).toEqual({ kind: 'command', verb: 'promote', args: [] });
    expect(parseComment('  /SLUICE Abort podinfo latency is bad\nmore text')).toEqual({
      kind: 'command',
      verb: 'abort',
      args: ['podinfo', 'latency', 'is', 'bad'],
    });
    expect(parseComment('/sluice')).toEqual({ kind: 'command', verb: 'help', args: [] });
    expect(parseComment('/sluice deploy')).toEqual({ kind: 'unknown', word: 'deploy' });
    expect(parseComment('looks good\n/sluice promote')).toEqual({ kind: 'none' });
    expect(parseComment('/sluicer promote')).toEqual({ kind: 'none' });
    expect(parseComment(42)).toEqual({ kind: 'none' });
    expect(HELP).toContain('/sluice abort [ROLLOUT] [reason]');
  });

  it('finds the rollout meant: the one named, else the only one; the rest is the reason', () => {
    expect(targetOf(['latency', 'too', 'high'], ['demo/podinfo'])).toEqual({
      kind: 'one',
      rollout: 'demo/podinfo',
      reason: 'latency too high',
    });
    expect(targetOf(['podinfo', 'bad'], ['demo/podinfo', 'demo/frontend'])).toEqual({
      kind: 'one',
      rollout: 'demo/podinfo',
      reason: 'bad',
    });
    expect(targetOf(['demo/frontend'], ['demo/podinfo', 'demo/frontend'])).toMatchObject({
      kind: 'one',
      rollout: 'demo/frontend',
    });
    expect(targetOf([], ['demo/podinfo', 'demo/frontend'])).toEqual({
      kind: 'ambiguous',
      candidates: ['demo/podinfo', 'demo/frontend'],
    });
    expect(targetOf(['backend'], ['demo/podinfo', 'demo/frontend'])).toMatchObject({
      kind: 'not-found',
      name: 'backend',
    });
    expect(targetOf([], [])).toEqual({ kind: 'none' });
  });
});

describe('the webhook', () => {
  it('queues a signed /sluice comment on a pull request, once per delivery', async () => {
    const d = deps();
    const { payload, commentId } = commentPayload({ body: '/sluice abort too slow', user: 'alice' });
    const { raw, headers } = await signed(payload);
    expect(await handleDelivery(headers, raw, d.deps)).toEqual({ status: 202, body: { message: 'queued' } });
    expect(d.accepted).toEqual([
      {
        delivery: headers['x-github-delivery'],
        repository: 'example-org/podinfo',
        pullRequest: 12,
        commentId,
        commentUrl: `https://github.com/example-org/podinfo/pull/12#issuecomment-${commentId}`,
        body: '/sluice abort too slow',
        user: 'alice',
        createdAt: expect.any(Number),
      },
    ]);
    expect(await handleDelivery(headers, raw, d.deps)).toMatchObject({
      status: 200,
      body: { message: expect.stringContaining('was received before; ignored') },
    });
    expect(d.accepted).toHaveLength(1);
  });

  it('acts on a comment once, whatever delivery id a replay carries (the delivery id is not signed), and only while it is fresh', async () => {
    const d = deps();
    const { payload } = commentPayload({ body: '/sluice promote', user: 'alice' });
    const first = await signed(payload);
    expect((await handleDelivery(first.headers, first.raw, d.deps)).status).toBe(202);
    const replay = { ...first.headers, 'x-github-delivery': 'a-new-delivery-id' };
    expect(await handleDelivery(replay, first.raw, d.deps)).toMatchObject({
      status: 200,
      body: { message: expect.stringContaining('was received before; ignored') },
    });
    const old = await signed(
      commentPayload({ body: '/sluice abort', createdAt: new Date(Date.now() - 11 * 60_000) }).payload,
    );
    expect(await handleDelivery(old.headers, old.raw, d.deps)).toMatchObject({
      status: 202,
      body: { message: expect.stringMatching(/made 11 minutes ago; commands older than 10 minutes are not acted on/) },
    });
    const undated = commentPayload({ body: '/sluice abort' }).payload;
    delete undated.comment.created_at;
    const u = await signed(undated);
    expect(await handleDelivery(u.headers, u.raw, d.deps)).toMatchObject({
      status: 202,
      body: { message: 'ignored: comment.created_at missing or not a time' },
    });
    expect(d.accepted).toHaveLength(1);
  });

  it('refuses a missing or wrong signature with 401 without reading the body', async () => {
    const d = deps();
    const { raw, headers } = await signed(commentPayload({ body: '/sluice abort' }).payload, 'another-secret');
    expect((await handleDelivery(headers, raw, d.deps)).status).toBe(401);
    expect((await handleDelivery({ ...headers, 'x-hub-signature-256': undefined }, raw, d.deps)).status).toBe(401);
    expect((await handleDelivery(headers, 'not json at all', d.deps)).status).toBe(401);
    expect(d.accepted).toEqual([]);
  });

  it('ignores with a 2xx what it does not act on: other events, edits, issues, bots, its own comments, plain comments', async () => {
    const d = deps();
    const cases = [
      commentPayload({ body: '/sluice abort', onPullRequest: false }).payload,
      commentPayload({ body: '/sluice abort', action: 'edited' }).payload,
      commentPayload({ body: '/sluice abort', bot: true }).payload,
      commentPayload({ body: '<!-- sluice:reply -->\n/sluice abort' }).payload,
      commentPayload({ body: 'LGTM' }).payload,
    ];
    for (const p of cases) {
      const { raw, headers } = await signed(p);
      expect((await handleDelivery(headers, raw, d.deps)).status).toBe(202);
    }
    const { raw, headers } = await signed({ zen: 'Keep it logically awesome.' });
    expect(await handleDelivery({ ...headers, 'x-github-event': 'ping' }, raw, d.deps)).toEqual({
      status: 200,
      body: { message: 'pong' },
    });
    expect((await handleDelivery({ ...headers, 'x-github-event': 'push' }, raw, d.deps)).status).toBe(202);
    expect(d.accepted).toEqual([]);
  });

  it('never crashes on 10,000 random or malformed deliveries, and queues nothing without a valid signature', async () => {
    const d = deps();
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const commentish = fc.record({
      action: fc.oneof(fc.constant('created'), fc.string()),
      issue: fc.oneof(
        fc.record({ number: fc.oneof(fc.integer(), fc.string()), pull_request: fc.oneof(fc.constant({}), anyJson) }),
        anyJson,
      ),
      comment: fc.oneof(
        fc.record({
          id: fc.oneof(fc.integer(), fc.string()),
          body: fc.oneof(
            fc.string().map((s) => `/sluice ${s}`),
            fc.string(),
            anyJson,
          ),
          user: fc.oneof(fc.record({ login: fc.string(), type: fc.string() }), anyJson),
        }),
        anyJson,
      ),
      repository: fc.oneof(fc.record({ full_name: fc.string() }), anyJson),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(commentish, anyJson),
        fc.boolean(),
        fc.oneof(fc.constant('issue_comment'), fc.string()),
        fc.option(fc.string()),
        async (payload, sign, event, delivery) => {
          const raw = JSON.stringify(payload);
          const { headers } = await signed(payload);
          const h = {
            ...headers,
            'x-github-event': event,
            'x-github-delivery': delivery ?? undefined,
            ...(sign
              ? { 'x-hub-signature-256': (await signed(JSON.parse(raw))).headers['x-hub-signature-256'] }
              : { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) }),
          };
          const before = d.accepted.length;
          const a = await handleDelivery(h, raw, d.deps);
          expect([200, 202, 400, 401]).toContain(a.status);
          if (!sign) expect(d.accepted.length).toBe(before);
          for (const job of d.accepted.slice(before))
            expect(job).toMatchObject({
              repository: expect.any(String),
              pullRequest: expect.any(Number),
              user: expect.any(String),
              body: expect.stringMatching(/^\s*\/sluice/i),
            });
        },
      ),
      { numRuns: 10_000 },
    );
  }, 120_000);
});
