// One event of a CLI-tracked run as reportTrainingEvents receives it: a JSON envelope
// `{"event": <TrainingEvent>, "checkpointSizeBytes": <bytes or null>}`, checked field by field, because it comes
// from a client and goes on to the database and every subscriber.
import type { BackendReport, TrainingEvent } from '@resnet-lab/trainer';
import { badUserInput } from '../errors.js';
import { checkNoNulBytes } from '../nul-bytes.js';

export interface TrackedEvent {
  readonly event: TrainingEvent;
  /** Total bytes of the epoch event's `epochCheckpoint` directory; null for other events and epochs without one. */
  readonly checkpointSizeBytes: number | null;
}

const KINDS = ['start', 'batch', 'epoch'] as const;

/** Parses the envelope at `field` (e.g. `events[3]`); errors name the field within it and the value received. */
export function parseTrackedEvent(text: string, field: string): TrackedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badUserInput(
      field,
      `Expected ${field} to be JSON {"event": ..., "checkpointSizeBytes": ...}, got: ${text}`,
      text,
    );
  }
  // A \u0000 escape becomes a NUL, which the database refuses in text and jsonb.
  checkNoNulBytes(field, parsed);
  const envelope = new Fields(parsed, field);
  const event = envelope.object('event');
  const kind = event.value('kind');
  let parsedEvent: TrainingEvent;
  switch (kind) {
    case 'start':
      parsedEvent = {
        kind,
        backend: backendOf(event),
        epochs: event.integer('epochs', 1),
        firstEpoch: event.integer('firstEpoch', 1),
        batchesPerEpoch: event.integer('batchesPerEpoch', 1),
        trainImages: event.integer('trainImages', 0),
        testImages: event.integer('testImages', 0),
        classNames: event.strings('classNames'),
        trainableParams: event.integer('trainableParams', 0),
        macs: event.integer('macs', 0),
      };
      break;
    case 'batch':
      parsedEvent = {
        kind,
        backend: backendOf(event),
        epoch: event.integer('epoch', 1),
        batch: event.integer('batch', 1),
        batches: event.integer('batches', 1),
        loss: event.number('loss'),
        accuracy: event.number('accuracy'),
        learningRate: event.number('learningRate'),
        imagesPerSecond: event.number('imagesPerSecond'),
        elapsedSeconds: event.number('elapsedSeconds'),
      };
      break;
    case 'epoch':
      parsedEvent = {
        kind,
        backend: backendOf(event),
        epoch: event.integer('epoch', 1),
        epochs: event.integer('epochs', 1),
        trainLoss: event.number('trainLoss'),
        trainAccuracy: event.number('trainAccuracy'),
        testLoss: event.nullableNumber('testLoss'),
        testAccuracy: event.nullableNumber('testAccuracy'),
        learningRate: event.number('learningRate'),
        durationSeconds: event.number('durationSeconds'),
        imagesPerSecond: event.number('imagesPerSecond'),
        elapsedSeconds: event.number('elapsedSeconds'),
        checkpoint: event.string('checkpoint'),
        epochCheckpoint: event.nullableString('epochCheckpoint'),
        weightsSha256: event.sha256('weightsSha256'),
        isBest: event.boolean('isBest'),
      };
      break;
    default:
      throw badUserInput(
        `${field}.event.kind`,
        `Expected ${field}.event.kind to be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}.`,
        kind,
      );
  }
  const hasCheckpoint = parsedEvent.kind === 'epoch' && parsedEvent.epochCheckpoint !== null;
  const checkpointSizeBytes = hasCheckpoint ? envelope.integer('checkpointSizeBytes', 0) : null;
  const given = envelope.value('checkpointSizeBytes');
  if (!hasCheckpoint && given !== null && given !== undefined) {
    throw badUserInput(
      `${field}.checkpointSizeBytes`,
      `Expected ${field}.checkpointSizeBytes to be null: only an epoch event with an epochCheckpoint has one.`,
      given,
    );
  }
  return { event: parsedEvent, checkpointSizeBytes };
}

function backendOf(event: Fields): BackendReport {
  const backend = event.object('backend');
  return { name: backend.string('name'), device: backend.string('device') };
}

/** Typed reads of a parsed JSON object's fields; each failure names the field's full path and the value. */
class Fields {
  private readonly record: Readonly<Record<string, unknown>>;

  constructor(
    value: unknown,
    private readonly path: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badUserInput(path, `Expected ${path} to be a JSON object, got ${JSON.stringify(value)}.`, value);
    }
    this.record = value as Record<string, unknown>;
  }

  value(name: string): unknown {
    return this.record[name];
  }

  object(name: string): Fields {
    return new Fields(this.record[name], `${this.path}.${name}`);
  }

  number(name: string): number {
    const value = this.record[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.expected(name, 'a finite number');
    return value;
  }

  nullableNumber(name: string): number | null {
    return this.record[name] === null ? null : this.number(name);
  }

  integer(name: string, min: number): number {
    const value = this.record[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw this.expected(name, `an integer of at least ${min}`);
    }
    return value;
  }

  string(name: string): string {
    const value = this.record[name];
    if (typeof value !== 'string') throw this.expected(name, 'a string');
    return value;
  }

  nullableString(name: string): string | null {
    return this.record[name] === null ? null : this.string(name);
  }

  sha256(name: string): string {
    const value = this.record[name];
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
      throw this.expected(name, 'a SHA-256 digest (64 lowercase hex digits)');
    }
    return value;
  }

  boolean(name: string): boolean {
    const value = this.record[name];
    if (typeof value !== 'boolean') throw this.expected(name, 'true or false');
    return value;
  }

  strings(name: string): string[] {
    const value = this.record[name];
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
      throw this.expected(name, 'an array of strings');
    }
    return value;
  }

  private expected(name: string, what: string) {
    const field = `${this.path}.${name}`;
    const value = this.record[name];
    return badUserInput(field, `Expected ${field} to be ${what}, got ${JSON.stringify(value) ?? 'nothing'}.`, value);
  }
}
