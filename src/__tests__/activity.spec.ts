import { nullTranslator } from '@jupyterlab/translation';

import { describe as describeRecord, endedText } from '../activity/describe';
import { ActivityModel } from '../activity/model';
import { activityQuery, ShareClient } from '../client';
import { IActivityPage, IActivityQuery, IActivityRecord } from '../tokens';

const trans = nullTranslator.load('capella_share');

function record(overrides: Partial<IActivityRecord> = {}): IActivityRecord {
  return {
    seq: 1,
    at: '2026-01-01T10:00:00.000Z',
    action: 'file.open',
    hash: '0'.repeat(64),
    level: 'edit',
    link: 'aaaaaaaaaaaa',
    user: 'guest-aaaaaaaaaaaa-api',
    name: 'Reviewers',
    ...overrides
  };
}

describe('describe', () => {
  it('names the guest and the files it acted on, in order', () => {
    const said = describeRecord(
      record({ action: 'file.rename', path: 'a.ipynb', to: 'b.ipynb' }),
      trans
    );
    expect(said.who).toBe('Reviewers');
    expect(said.level).toBe('edit');
    expect(said.what).toBe('renamed');
    expect(said.paths).toEqual(['a.ipynb', 'b.ipynb']);
  });

  it('shows code a guest ran by its first line, where it came from', () => {
    const said = describeRecord(
      record({
        action: 'kernel.execute',
        code_first_line: 'import os',
        from: 'shared.ipynb',
        kernel: '12345678-aaaa-bbbb-cccc-dddddddddddd'
      }),
      trans
    );
    expect(said.code).toBe('import os');
    expect(said.paths).toEqual(['shared.ipynb']);
    expect(said.detail).toBe('kernel 12345678');
  });

  it('says who else wrote a live document saved', () => {
    const said = describeRecord(
      record({
        action: 'file.save',
        via: 'rtc',
        path: 'n.ipynb',
        updates: 3,
        coauthors: ['owner']
      }),
      trans
    );
    expect(said.what).toBe('saved (edited live)');
    expect(said.detail).toBe('3 changes, with owner');
  });

  it('tells refusals, departures and the owner apart', () => {
    const refused = describeRecord(
      record({
        action: 'refused',
        what: 'POST /api/kernels',
        reason: 'This is a view-only link.'
      }),
      trans
    );
    expect(refused.detail).toBe('POST /api/kernels: This is a view-only link.');
    expect(refused.paths).toEqual([]);
    const left = describeRecord(
      record({ action: 'guest.left', why: 'revoked' }),
      trans
    );
    expect(left.detail).toBe('the link was revoked');
    const removed = describeRecord(
      record({ action: 'guest.left', why: 'removed' }),
      trans
    );
    expect(removed.detail).toBe('what the link shared was deleted');
    const owner = describeRecord(
      record({ action: 'link.create', level: 'owner', label: 'Team' }),
      trans
    );
    expect(owner.who).toBe('You (owner)');
    expect(describeRecord(record({ level: undefined }), trans).who).toBe(
      'The server'
    );
  });

  it('says what ending a link ended', () => {
    expect(
      endedText(
        { sockets: 3, kernels_shut_down: ['k'], terminals: ['1', '2'] },
        trans
      )
    ).toBe('closed 3 connections, ended 2 terminals, shut down 1 kernel');
    expect(endedText(undefined, trans)).toBe('');
  });
});

describe('activityQuery', () => {
  it('asks only what is given', () => {
    expect(activityQuery({})).toBe('');
    expect(
      activityQuery({ link: 'aaaaaaaaaaaa', before: 12, limit: 100 })
    ).toBe('?link=aaaaaaaaaaaa&before=12&limit=100');
    expect(activityQuery({ link: undefined, format: 'csv' })).toBe(
      '?format=csv'
    );
  });

  it('asks for the records after a seq', () => {
    expect(activityQuery({ link: 'aaaaaaaaaaaa', after: 41, limit: 100 })).toBe(
      '?link=aaaaaaaaaaaa&after=41&limit=100'
    );
    expect(activityQuery({ after: 0 })).toBe('?after=0');
  });
});

describe('ActivityModel', () => {
  /** A client answering GET activity from a list, in turn. */
  function client(answers: Array<IActivityPage | Error>) {
    const activity = jest.fn(async (query: IActivityQuery) => {
      const answer = answers.shift();
      if (answer === undefined) {
        throw new Error('asked once too often');
      }
      if (answer instanceof Error) {
        throw answer;
      }
      return answer;
    });
    return { client: { activity } as unknown as ShareClient, activity };
  }

  /** A page holding these seqs (newest first). */
  function page(seqs: number[], next: number | null = null): IActivityPage {
    return {
      records: seqs.map(seq => record({ seq })),
      next,
      recording: true,
      problem: null
    };
  }

  /** seqs from `newest` down to `oldest` */
  function seqs(newest: number, oldest: number): number[] {
    return Array.from({ length: newest - oldest + 1 }, (_, i) => newest - i);
  }

  /**
   * Follow until the poll has asked `times` more, and its answers are taken;
   * then stop (the next `follow` asks at once again).
   */
  async function followed(
    model: ActivityModel,
    activity: jest.Mock,
    times = 1
  ): Promise<void> {
    const wanted = activity.mock.calls.length + times;
    model.follow();
    for (let i = 0; i < 200 && activity.mock.calls.length < wanted; i++) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    expect(activity.mock.calls.length).toBe(wanted);
    await activity.mock.results[wanted - 1].value.catch(() => undefined);
    await new Promise(resolve => setTimeout(resolve, 5));
    model.stop();
  }

  it('pages back', async () => {
    const { client: fake } = client([page([5, 4], 4), page([3])]);
    const model = new ActivityModel({ client: fake, link: 'aaaaaaaaaaaa' });
    await model.refresh();
    expect(model.hasOlder).toBe(true);
    await model.loadOlder();
    expect(model.records.map(r => r.seq)).toEqual([5, 4, 3]);
    expect(model.hasOlder).toBe(false);
    model.dispose();
  });

  it('loads the latest page, then puts the records made since in front', async () => {
    const { client: fake, activity } = client([
      page([5, 4], 4),
      page([7, 6]),
      // a server that does not know `after` answers its latest page
      page([8, 7, 6, 5], 5)
    ]);
    const model = new ActivityModel({ client: fake, link: 'aaaaaaaaaaaa' });
    await followed(model, activity);
    expect(activity.mock.calls[0][0]).toEqual({
      link: 'aaaaaaaaaaaa',
      before: undefined,
      limit: 100
    });
    expect(model.records.map(r => r.seq)).toEqual([5, 4]);
    await followed(model, activity);
    expect(activity.mock.calls[1][0]).toEqual({
      link: 'aaaaaaaaaaaa',
      after: 5,
      limit: 100
    });
    expect(model.records.map(r => r.seq)).toEqual([7, 6, 5, 4]);
    await followed(model, activity);
    expect(activity.mock.calls[2][0]).toMatchObject({ after: 7 });
    // known ones once each, the older pages still to load
    expect(model.records.map(r => r.seq)).toEqual([8, 7, 6, 5, 4]);
    expect(model.hasOlder).toBe(true);
    model.dispose();
  });

  it('loads the latest page again when more than a page was made since', async () => {
    const { client: fake, activity } = client([
      page([2, 1]),
      page(seqs(102, 3)), // a full page: more may be between
      page(seqs(110, 11), 11)
    ]);
    const model = new ActivityModel({ client: fake });
    await followed(model, activity);
    await followed(model, activity, 2);
    expect(activity.mock.calls[1][0]).toEqual({
      link: undefined,
      after: 2,
      limit: 100
    });
    expect(activity.mock.calls[2][0]).toEqual({
      link: undefined,
      before: undefined,
      limit: 100
    });
    expect(model.records.map(r => r.seq)).toEqual(seqs(110, 11));
    expect(model.hasOlder).toBe(true);
    model.dispose();
  });

  it('says why it could not ask, until it could', async () => {
    const { client: fake, activity } = client([
      page([1]),
      new Error('The server did not answer.'),
      page([2])
    ]);
    const model = new ActivityModel({ client: fake, link: 'aaaaaaaaaaaa' });
    await followed(model, activity);
    await followed(model, activity);
    expect(model.error).toBe('The server did not answer.');
    expect(model.records.map(r => r.seq)).toEqual([1]);
    await followed(model, activity);
    expect(model.error).toBe('');
    expect(model.records.map(r => r.seq)).toEqual([2, 1]);
    model.dispose();
    model.follow(); // asks nothing once disposed
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(activity).toHaveBeenCalledTimes(3);
  });
});
