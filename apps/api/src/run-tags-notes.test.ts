// Tags and notes of runs through the whole API: startRun and updateRun set them (with the errors they give), runTags
// lists them, and the runs filter finds runs by text in their name, tags or notes and by tags, page by page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi();
  await test.api.services.models.create({ name: 'tagged', arch: 'resnet18', width: 0.0625 });
});
afterAll(async () => {
  await test?.close();
});

const START_RUN = `mutation($input: StartRunInput!) { startRun(input: $input) { id name tags notes } }`;
const UPDATE_RUN = `mutation($input: UpdateRunInput!) { updateRun(input: $input) { id name tags notes } }`;
const RUN = `query($id: ID!) { run(id: $id) { id name tags notes } }`;
const RUN_NAMES = `query($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage } edges { node { name } }
  }
}`;

interface RunsPage {
  readonly totalCount: number;
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  readonly edges: readonly { readonly node: { readonly name: string } }[];
}

interface Annotated {
  readonly id: string;
  readonly name: string;
  readonly tags: string[];
  readonly notes: string;
}

/** A queued run of the model 'tagged' on the built-in synthetic dataset. */
async function startRun(input: { name: string; tags?: string[]; notes?: string }): Promise<Annotated> {
  const result = await test.execute<{ startRun: Annotated }>(START_RUN, {
    input: { modelName: 'tagged', datasetName: 'synthetic', epochs: 1, ...input },
  });
  if (!result.data) throw new Error(`Expected startRun to succeed, got ${JSON.stringify(result.errors)}.`);
  return result.data.startRun;
}

/** The errors of an operation as [message, extensions] pairs. */
async function errorsOf(query: string, variables: Record<string, unknown>) {
  const result = await test.execute(query, variables);
  expect(result.data).toBeNull();
  return result.errors?.map((error) => [error.message, error.extensions]);
}

/** The names of the runs matching the filter, sorted by name, with their count: one page of up to 100. */
async function namesMatching(filter: Record<string, unknown>): Promise<{ names: string[]; totalCount: number }> {
  const result = await test.execute<{
    runs: { totalCount: number; edges: { node: { name: string } }[] };
  }>(RUN_NAMES, { filter, orderBy: { field: 'NAME', direction: 'ASC' }, first: 100 });
  expect(result.errors).toBeUndefined();
  return { names: result.data!.runs.edges.map((edge) => edge.node.name), totalCount: result.data!.runs.totalCount };
}

describe('updateRun', () => {
  it('replaces the fields given, keeps the others, and the run reads back the same', async () => {
    const run = await startRun({ name: 'round trip', tags: [' baseline ', 'lr:0.1', 'baseline'], notes: 'First try.' });
    expect(run).toEqual({ id: run.id, name: 'round trip', tags: ['baseline', 'lr:0.1'], notes: 'First try.' });

    const tagsOnly = await test.execute(UPDATE_RUN, {
      input: { id: run.id, tags: ['sweep/2', ' Ünïcode 7 ', 'a-b_c.d', 'sweep/2'] },
    });
    expect(tagsOnly).toEqual({
      data: {
        updateRun: { id: run.id, name: 'round trip', tags: ['sweep/2', 'Ünïcode 7', 'a-b_c.d'], notes: 'First try.' },
      },
      errors: undefined,
    });

    const everything = await test.execute(UPDATE_RUN, {
      input: { id: run.id, name: '  renamed  ', tags: [], notes: 'Line one.\nLine two.' },
    });
    const expected = { id: run.id, name: 'renamed', tags: [], notes: 'Line one.\nLine two.' };
    expect(everything).toEqual({ data: { updateRun: expected }, errors: undefined });
    expect(await test.execute(RUN, { id: run.id })).toEqual({ data: { run: expected }, errors: undefined });

    // Nothing given changes nothing; '' clears the notes; exactly the limits are accepted.
    expect((await test.execute(UPDATE_RUN, { input: { id: run.id } })).data).toEqual({ updateRun: expected });
    const atLimits = {
      name: 'n'.repeat(200),
      tags: Array.from({ length: 20 }, (_, index) => `${'t'.repeat(48)}${String(index).padStart(2, '0')}`),
      notes: 'x'.repeat(10_000),
    };
    expect((await test.execute(UPDATE_RUN, { input: { id: run.id, ...atLimits } })).data).toEqual({
      updateRun: { id: run.id, ...atLimits },
    });
    expect((await test.execute(UPDATE_RUN, { input: { id: run.id, notes: '' } })).data).toEqual({
      updateRun: { id: run.id, ...atLimits, notes: '' },
    });
  });

  it('gives each mistake BAD_USER_INPUT with the field, and changes nothing', async () => {
    const run = await startRun({ name: 'kept', tags: ['kept'], notes: 'kept' });
    const update = (change: Record<string, unknown>) => errorsOf(UPDATE_RUN, { input: { id: run.id, ...change } });
    const longTag = 't'.repeat(51);
    expect(await update({ tags: ['fine', longTag] })).toEqual([
      [
        `Expected each tag to be 1 to 50 characters after trimming, got 51: '${longTag}'.`,
        { code: 'BAD_USER_INPUT', field: 'tags', value: longTag },
      ],
    ]);
    expect(await update({ tags: ['   '] })).toEqual([
      [
        "Expected each tag to be 1 to 50 characters after trimming, got 0: '   '.",
        { code: 'BAD_USER_INPUT', field: 'tags', value: '   ' },
      ],
    ]);
    expect(await update({ tags: ['lr=0.1'] })).toEqual([
      [
        "Tag 'lr=0.1' has the character '=': use letters, digits, spaces, '-', '_', '.', ':' or '/'.",
        { code: 'BAD_USER_INPUT', field: 'tags', value: 'lr=0.1' },
      ],
    ]);
    // 21 different tags are too many; 21 that are 20 once repeated are not (see below).
    const tags = Array.from({ length: 21 }, (_, index) => `tag-${index}`);
    expect(await update({ tags })).toEqual([
      ['Expected at most 20 different tags, got 21.', { code: 'BAD_USER_INPUT', field: 'tags', value: 21 }],
    ]);
    expect(await update({ notes: 'x'.repeat(10_001) })).toEqual([
      [
        'Expected notes to be at most 10000 characters, got 10001.',
        { code: 'BAD_USER_INPUT', field: 'notes', value: 10_001 },
      ],
    ]);
    expect(await update({ name: '  ' })).toEqual([
      [
        'Expected name to be 1 to 200 characters after trimming, got none.',
        { code: 'BAD_USER_INPUT', field: 'name', value: '  ' },
      ],
    ]);
    // startRun's own rule and message for a name.
    expect(await update({ name: 'n'.repeat(201) })).toEqual([
      [
        'Expected name to be at most 200 characters, got 201.',
        { code: 'BAD_USER_INPUT', field: 'name', value: `${'n'.repeat(97)}...` },
      ],
    ]);
    // A mistake in one field keeps the valid others from being written too.
    expect(await update({ name: 'changed', notes: 'x'.repeat(10_001) })).toHaveLength(1);
    expect((await test.execute(RUN, { id: run.id })).data).toEqual({
      run: { id: run.id, name: 'kept', tags: ['kept'], notes: 'kept' },
    });
    const repeated = [...tags.slice(0, 20), 'tag-0'];
    expect((await test.execute(UPDATE_RUN, { input: { id: run.id, tags: repeated } })).data).toEqual({
      updateRun: { id: run.id, name: 'kept', tags: tags.slice(0, 20), notes: 'kept' },
    });
  });

  it('tells runUpdated subscribers, so that live lists show the new tags', async () => {
    const updates = test.api.services.events.subscribeRunUpdated();
    /** The next update of the run, as subscribers receive it. */
    const nextUpdateOf = async (id: string) => {
      for (;;) {
        const next = await updates.next();
        if (next.done) throw new Error('Expected runUpdated to go on, but it ended.');
        if (next.value.id === id) return next.value;
      }
    };
    try {
      // startRun's own update comes first; only then is the run changed, so the next one is updateRun's.
      const run = await startRun({ name: 'watched' });
      expect((await nextUpdateOf(run.id)).tags).toEqual([]);
      await test.execute(UPDATE_RUN, { input: { id: run.id, tags: ['seen live'] } });
      const updated = await nextUpdateOf(run.id);
      expect([updated.name, updated.tags, updated.notes]).toEqual(['watched', ['seen live'], '']);
    } finally {
      updates.close();
    }
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    expect(await errorsOf(UPDATE_RUN, { input: { id: 'missing', notes: 'lost' } })).toEqual([
      ["No run with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });

  it('checks startRun’s tags and notes as its own, and queues nothing', async () => {
    const { prisma } = test.api.services;
    const before = await prisma.run.count();
    const start = (input: Record<string, unknown>) =>
      errorsOf(START_RUN, { input: { modelName: 'tagged', datasetName: 'synthetic', epochs: 1, ...input } });
    expect(await start({ tags: ['a|b'] })).toEqual([
      [
        "Tag 'a|b' has the character '|': use letters, digits, spaces, '-', '_', '.', ':' or '/'.",
        { code: 'BAD_USER_INPUT', field: 'tags', value: 'a|b' },
      ],
    ]);
    expect(await start({ notes: 'x'.repeat(10_001) })).toEqual([
      [
        'Expected notes to be at most 10000 characters, got 10001.',
        { code: 'BAD_USER_INPUT', field: 'notes', value: 10_001 },
      ],
    ]);
    expect(await prisma.run.count()).toBe(before);
  });

  it('passes the run’s tags on to a run resumed from it', async () => {
    const { prisma } = test.api.services;
    const run = await startRun({ name: 'to resume', tags: ['lineage'], notes: 'only mine' });
    await prisma.run.update({ where: { id: run.id }, data: { status: 'COMPLETED' } });
    await prisma.checkpoint.create({
      data: { runId: run.id, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: 'nowhere' },
    });
    const result = await test.execute<{ resumeRun: Annotated }>(
      `mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id name tags notes } }`,
      { input: { runId: run.id, epochs: 2 } },
    );
    expect(result.data?.resumeRun).toEqual({
      id: result.data?.resumeRun.id,
      name: 'to resume (resumed from epoch 1)',
      tags: ['lineage'],
      notes: '',
    });
  });
});

describe('the runs filter', () => {
  beforeAll(async () => {
    await startRun({ name: 'Needle in the name' });
    await startRun({ name: 'tagged haystack', tags: ['other', 'BigNEEDLE'] });
    await startRun({ name: 'noted haystack', notes: 'Found a nEeDlE here.' });
    await startRun({ name: 'plain haystack', tags: ['needl', 'other'], notes: 'nee dle' });
    await startRun({ name: 'percent 100%', tags: ['both', 'other'] });
    await startRun({ name: 'percent 1000', tags: ['both'] });
  });

  it('finds runs whose name, a tag or the notes contain the text, ignoring case', async () => {
    expect(await namesMatching({ search: 'needle' })).toEqual({
      names: ['Needle in the name', 'noted haystack', 'tagged haystack'],
      totalCount: 3,
    });
    expect(await namesMatching({ search: '  NEEDLE ' })).toEqual({
      names: ['Needle in the name', 'noted haystack', 'tagged haystack'],
      totalCount: 3,
    });
    expect(await namesMatching({ search: 'bigneedle' })).toEqual({ names: ['tagged haystack'], totalCount: 1 });
    expect(await namesMatching({ search: 'found a' })).toEqual({ names: ['noted haystack'], totalCount: 1 });
    expect(await namesMatching({ search: 'no such text' })).toEqual({ names: [], totalCount: 0 });
    // `%` and `_` are text, not wildcards.
    expect(await namesMatching({ search: '100%' })).toEqual({ names: ['percent 100%'], totalCount: 1 });
    expect(await namesMatching({ search: 'percent_1' })).toEqual({ names: [], totalCount: 0 });
    // With the other conditions: all must hold.
    expect(await namesMatching({ search: 'haystack', tags: ['other'] })).toEqual({
      names: ['plain haystack', 'tagged haystack'],
      totalCount: 2,
    });
  });

  it('lists the runs having every tag asked for, exactly', async () => {
    expect(await namesMatching({ tags: ['other'] })).toEqual({
      names: ['percent 100%', 'plain haystack', 'tagged haystack'],
      totalCount: 3,
    });
    expect(await namesMatching({ tags: ['both', 'other'] })).toEqual({ names: ['percent 100%'], totalCount: 1 });
    expect(await namesMatching({ tags: ['needle'] })).toEqual({ names: [], totalCount: 0 });
    expect(await namesMatching({ tags: ['Other'] })).toEqual({ names: [], totalCount: 0 });
    // A blank search adds no condition.
    expect(await namesMatching({ tags: ['both'], search: '   ' })).toEqual({
      names: ['percent 100%', 'percent 1000'],
      totalCount: 2,
    });
    // The list's runs carry their tags and notes.
    const listed = await test.execute(
      `{ runs(filter: { tags: ["both"] }, orderBy: { field: NAME, direction: ASC }) { edges { node { name tags notes } } } }`,
    );
    expect(listed).toEqual({
      data: {
        runs: {
          edges: [
            { node: { name: 'percent 100%', tags: ['both', 'other'], notes: '' } },
            { node: { name: 'percent 1000', tags: ['both'], notes: '' } },
          ],
        },
      },
      errors: undefined,
    });
  });

  it('pages through the runs a search finds, each once, in order, with their count', async () => {
    const matching = ['pager 1', 'pager 2', 'pager 3', 'pager 4', 'pager 5'];
    for (const name of [...matching].reverse()) await startRun({ name });
    await startRun({ name: 'by tag', tags: ['PAGER'] });
    await startRun({ name: 'pa ger', notes: 'page r' });
    const seen: string[] = [];
    const pages: { count: number; totalCount: number; hasNextPage: boolean }[] = [];
    let after: string | null = null;
    do {
      const result: { data: { runs: RunsPage } | null | undefined } = await test.execute<{ runs: RunsPage }>(
        `query($after: String) {
          runs(filter: { search: "Pager" }, orderBy: { field: NAME, direction: ASC }, first: 2, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { name } }
          }
        }`,
        { after },
      );
      const { runs } = result.data!;
      seen.push(...runs.edges.map((edge) => edge.node.name));
      pages.push({ count: runs.edges.length, totalCount: runs.totalCount, hasNextPage: runs.pageInfo.hasNextPage });
      after = runs.pageInfo.hasNextPage ? runs.pageInfo.endCursor : null;
    } while (after !== null && pages.length < 10);
    expect(seen).toEqual(['by tag', ...matching]);
    expect(pages).toEqual([
      { count: 2, totalCount: 6, hasNextPage: true },
      { count: 2, totalCount: 6, hasNextPage: true },
      { count: 2, totalCount: 6, hasNextPage: false },
    ]);
  });
});

describe('runTags', () => {
  it('lists every tag in use once, sorted ignoring case, then upper case first', async () => {
    // Only the tags of the runs below: the others' are cleared.
    await test.api.services.prisma.run.updateMany({ data: { tags: [] } });
    expect((await test.execute(`{ runTags }`)).data).toEqual({ runTags: [] });
    await startRun({ name: 'tags 1', tags: ['zeta', 'Alpha', 'beta'] });
    await startRun({ name: 'tags 2', tags: ['alpha', 'beta', 'lr:0.1'] });
    await startRun({ name: 'tags 3', tags: ['Beta 2'] });
    expect((await test.execute(`{ runTags }`)).data).toEqual({
      runTags: ['Alpha', 'alpha', 'beta', 'Beta 2', 'lr:0.1', 'zeta'],
    });
  });
});
