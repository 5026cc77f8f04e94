// The model registry's names and notes: aliases that move between a model's versions or go, and the descriptions of
// versions. Promoting and deleting versions, which copy and remove files, is CheckpointService's.
import { badUserInput, notFound } from '../errors.js';
import type { Model, ModelAlias, ModelVersion, PrismaClient } from '../generated/prisma/client.js';
import { checkAliasName } from './names.js';

/** Characters of a version's description. */
export const MAX_VERSION_DESCRIPTION_LENGTH = 2_000;

export interface SetModelAliasInput {
  readonly modelId?: string | null;
  readonly modelName?: string | null;
  readonly alias: string;
  /** The version number (`ModelVersion.version`), not its id. */
  readonly version: number;
}

export interface UpdateModelVersionInput {
  readonly id: string;
  /** Unchanged when null or missing. */
  readonly description?: string | null;
}

export class ModelRegistryService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Points the alias at a version of the model, creating it or moving it from the version it pointed at. */
  async setAlias(input: SetModelAliasInput): Promise<ModelAlias> {
    const alias = checkAliasName('alias', input.alias);
    const model = await this.modelOf(input);
    return this.prisma.$transaction(async (transaction) => {
      // Shared-locked, so that a deleteModelVersion meanwhile either finishes first (and the version is not found
      // here) or waits for the alias and deletes it with the version.
      const [version] = await transaction.$queryRaw<ModelVersion[]>`
        SELECT * FROM "ModelVersion" WHERE "modelId" = ${model.id} AND "version" = ${input.version} FOR SHARE`;
      if (!version) {
        const numbers = (
          await transaction.modelVersion.findMany({
            where: { modelId: model.id },
            select: { version: true },
            orderBy: { version: 'asc' },
          })
        ).map((row) => row.version);
        throw badUserInput(
          'version',
          `Model '${model.name}' has no version ${input.version}` +
            (numbers.length > 0 ? `; its versions are ${numbers.join(', ')}.` : '; promote a checkpoint first.'),
          input.version,
        );
      }
      return transaction.modelAlias.upsert({
        where: { modelId_alias: { modelId: model.id, alias } },
        create: { modelId: model.id, alias, versionId: version.id },
        update: { versionId: version.id },
      });
    });
  }

  /** Removes an alias of the model (its version stays) and returns the model. */
  async removeAlias(modelId: string, alias: string): Promise<Model> {
    const model = await this.prisma.model.findUnique({ where: { id: modelId } });
    if (!model) throw notFound('model', modelId);
    const { count } = await this.prisma.modelAlias.deleteMany({ where: { modelId, alias } });
    if (count === 0) {
      const names = (
        await this.prisma.modelAlias.findMany({
          where: { modelId },
          select: { alias: true },
          orderBy: { alias: 'asc' },
        })
      ).map((row) => row.alias);
      throw badUserInput(
        'alias',
        `Model '${model.name}' has no alias '${alias}'` +
          (names.length > 0 ? `; its aliases are ${names.join(', ')}.` : '; it has none.'),
        alias,
      );
    }
    return model;
  }

  /** Changes what a client may change of a version: its description. */
  async updateVersion(input: UpdateModelVersionInput): Promise<ModelVersion> {
    const description = checkVersionDescription('description', input.description);
    const { count } = await this.prisma.modelVersion.updateMany({
      where: { id: input.id },
      data: description === null ? {} : { description },
    });
    if (count === 0) throw notFound('model version', input.id);
    return this.prisma.modelVersion.findUniqueOrThrow({ where: { id: input.id } });
  }

  /** The model of setModelAlias: by id (NOT_FOUND when unknown) or by name (BAD_USER_INPUT), exactly one given. */
  private async modelOf(input: SetModelAliasInput): Promise<Model> {
    const { modelId, modelName } = input;
    if (typeof modelId === 'string' && typeof modelName !== 'string') {
      const model = await this.prisma.model.findUnique({ where: { id: modelId } });
      if (!model) throw notFound('model', modelId);
      return model;
    }
    if (typeof modelName === 'string' && typeof modelId !== 'string') {
      const model = await this.prisma.model.findUnique({ where: { name: modelName } });
      if (!model) throw badUserInput('modelName', `No model named '${modelName}'.`, modelName);
      return model;
    }
    throw badUserInput('modelId', 'Give exactly one of modelId and modelName.');
  }
}

/** A version's description as given, checked; null when none was given. */
export function checkVersionDescription(field: string, description: string | null | undefined): string | null {
  if (description === null || description === undefined) return null;
  if (description.length > MAX_VERSION_DESCRIPTION_LENGTH) {
    throw badUserInput(
      field,
      `Expected ${field} to be at most ${MAX_VERSION_DESCRIPTION_LENGTH} characters, got ${description.length}.`,
      description,
    );
  }
  return description;
}
