/**
 * Every run's reports, once the outbox has delivered them: on GitHub a commit status pending
 * then final, one deployment (in_progress then final) and one comment on the pull request that
 * tells the outcome; in Slack one root message per run whose thread tells the outcome once.
 * Missing ones are lost, extra ones duplicated.
 */
import { commitOf, pullOf, REPO, type World } from './world.js';

export interface ReportCheck {
  lost: string[];
  duplicated: string[];
}

const FINAL_SLACK = (good: boolean): RegExp =>
  good ? /\*Promoted\*/ : /\*(AnalysisFailed|ProgressDeadlineExceeded)\*/;

/** Counts more than one of a value as duplicates, and a missing `must` as lost. */
function once(where: string, values: string[], must: string[], out: ReportCheck): void {
  for (const v of must) if (!values.includes(v)) out.lost.push(`${where}: no ${v}`);
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) out.duplicated.push(`${where}: ${v} twice`);
    seen.add(v);
  }
}

function check(w: World): ReportCheck {
  const out: ReportCheck = { lost: [], duplicated: [] };
  const { github, slack } = w;
  w.apps.forEach((app, i) => {
    for (let round = 0; round < w.rounds; round++) {
      const commit = commitOf(i, round);
      const pr = pullOf(i, round);
      const run = `${app.name} round ${round + 1}`;
      const final = app.good ? 'success' : 'failure';
      once(
        `${run}: commit statuses`,
        github.statuses.filter((s) => s.sha === commit).map((s) => s.state),
        ['pending', final],
        out,
      );
      const deployments = github.deployments.filter((d) => d.sha === commit);
      if (deployments.length === 0) out.lost.push(`${run}: no GitHub deployment`);
      if (deployments.length > 1) out.duplicated.push(`${run}: ${deployments.length} GitHub deployments`);
      for (const d of deployments)
        once(
          `${run}: deployment statuses`,
          d.statuses.map((s) => s.state),
          ['in_progress', final],
          out,
        );
      const comments = github.comments.filter((c) => c.repo === REPO && c.issue === pr);
      if (comments.length === 0) out.lost.push(`${run}: no comment on #${pr}`);
      if (comments.length > 1) out.duplicated.push(`${run}: ${comments.length} comments on #${pr}`);
      if (comments.length > 0 && !comments.some((c) => (app.good ? /promoted/ : /rolled back/).test(c.body)))
        out.lost.push(`${run}: the comment on #${pr} does not tell the outcome`);
      const roots = slack.roots().filter((m) => JSON.stringify(m.blocks ?? []).includes(`${REPO}#${pr}>`));
      if (roots.length === 0) out.lost.push(`${run}: no Slack message`);
      if (roots.length > 1) out.duplicated.push(`${run}: ${roots.length} Slack messages`);
      for (const r of roots) {
        const finals = slack.thread(r.ts).filter((m) => FINAL_SLACK(app.good).test(m.text));
        if (finals.length === 0) out.lost.push(`${run}: the Slack thread does not tell the outcome`);
        if (finals.length > 1) out.duplicated.push(`${run}: the outcome ${finals.length} times in the Slack thread`);
      }
    }
  });
  return out;
}

/**
 * Waits for every report to arrive, then checks them. Sluice paces its GitHub writes at one a
 * second, as GitHub asks of integrations (about 6 writes a run), so the wait grows with the runs.
 */
export async function checkReports(w: World, say: (line: string) => void): Promise<ReportCheck> {
  const waitMs = 60_000 + w.apps.length * w.rounds * 8_000;
  const deadline = Date.now() + waitMs;
  let result = check(w);
  for (let i = 1; result.lost.length > 0 && Date.now() < deadline; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    result = check(w);
    if (i % 10 === 0) say(`waiting for ${result.lost.length} reports: ${result.lost.slice(0, 3).join('; ')}`);
  }
  // a little longer: a duplicate may still be on its way
  await new Promise((r) => setTimeout(r, 3000));
  result = check(w);
  if (result.lost.length > 0)
    say(`reports still missing after ${waitMs / 1000} s: ${result.lost.slice(0, 5).join('; ')}`);
  if (result.lost.length + result.duplicated.length > 0)
    say(
      `GitHub deployments: ${JSON.stringify(w.github.deployments.map((d) => ({ id: d.id, sha: d.sha.slice(0, 8), environment: d.environment, statuses: d.statuses.map((x) => x.state) })))}`,
    );
  return result;
}
