// Prisma's errors that mean something to a service: a unique name taken, or a row deleted meanwhile.
import { Prisma } from '../generated/prisma/client.js';

/** A unique constraint refused the write, e.g. a model name already taken. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** A write that refers to a row deleted meanwhile, e.g. a run of a model that deleteModel just removed. */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}

/** The row to update or delete is not there (or no longer), e.g. updateRun of an unknown id. */
export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}
