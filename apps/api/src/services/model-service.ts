// Models: named ResNet architectures, with the parameter count and MACs of their summary.
import { ResNetConfigError, resolveResNetConfig, summarizeResNet, type ResNetSummary } from '@resnet-lab/resnet';
import { badUserInput, conflict } from '../errors.js';
import type { Model, PrismaClient } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { checkName } from './names.js';

export interface CreateModelInput {
  readonly name: string;
  readonly description?: string | null;
  readonly arch: string;
  readonly stem?: string | null;
  readonly width?: number | null;
  readonly classes?: number | null;
  readonly inputSize?: number | null;
}

export class ModelService {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: CreateModelInput): Promise<Model> {
    const name = checkName('name', input.name);
    let summary: ResNetSummary;
    try {
      const config = resolveResNetConfig({
        arch: input.arch,
        stem: input.stem ?? undefined,
        width: input.width ?? undefined,
        classes: input.classes ?? undefined,
        inputSize: input.inputSize ?? undefined,
      });
      summary = summarizeResNet(config);
    } catch (error) {
      if (error instanceof ResNetConfigError) {
        throw badUserInput(error.field, error.message, (input as unknown as Record<string, unknown>)[error.field]);
      }
      throw error;
    }
    try {
      return await this.prisma.model.create({
        data: {
          name,
          description: input.description ?? '',
          arch: summary.arch,
          stem: summary.stem,
          width: summary.width,
          classes: summary.classes,
          inputSize: summary.inputSize,
          parameterCount: BigInt(summary.trainableParams),
          macs: BigInt(summary.macs),
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A model named '${name}' already exists; choose another name.`);
      throw error;
    }
  }

  /** The per-stage table of a stored model's architecture. */
  static summarize(model: Model): ResNetSummary {
    return summarizeResNet({
      arch: model.arch,
      stem: model.stem,
      width: model.width,
      classes: model.classes,
      inputSize: model.inputSize,
    });
  }
}

/** SQLSTATE of a unique-constraint violation. */
const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return true;
  // pglite-prisma-adapter hands PostgreSQL errors through as { kind: 'postgres', code } instead of mapping them to
  // Prisma's error codes as @prisma/adapter-pg does, so the SQLSTATE has to be read from the cause.
  const cause = (error as { cause?: { kind?: unknown; code?: unknown } } | null)?.cause;
  return cause?.kind === 'postgres' && cause.code === UNIQUE_VIOLATION;
}
