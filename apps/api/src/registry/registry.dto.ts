import { type DatasetView } from '@gatehouse/application';
import { datasetItemSchema } from '@gatehouse/evals';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paged, pagination } from '../http/common.dto';

const NAME = /^[a-z0-9][a-z0-9._-]{0,79}$/;
const NAME_RULE = 'must be 1-80 of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
export const nameSchema = z.string().regex(NAME, NAME_RULE);
const versionSchema = z.coerce
  .number()
  .int('must be a whole number')
  .min(1, 'must be 1 or more')
  .max(1_000_000);

export class NameVersionParamDto extends createZodDto(
  z.strictObject({ name: nameSchema, version: versionSchema }),
) {}

export class UploadDatasetQueryDto extends createZodDto(
  z.strictObject({
    name: nameSchema.describe('The dataset name.'),
    version: versionSchema
      .optional()
      .describe(
        'Store exactly this version (what `gatehouse push` does). Without it the upload becomes the next version, or the existing version with identical content.',
      ),
    note: z.string().max(2000).optional().describe('Provenance note kept in the manifest.'),
  }),
) {}

export class UploadCassetteQueryDto extends createZodDto(
  z.strictObject({
    name: nameSchema.describe(
      'The cassette name a replay target refers to (a judge cassette: `<cassette>.<metric>.judgeN`).',
    ),
  }),
) {}

export class RegistryListQueryDto extends createZodDto(
  z.strictObject({ name: nameSchema.optional(), ...pagination }),
) {}

export class ItemsQueryDto extends createZodDto(
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size (1-1000).'),
    offset: pagination.offset,
  }),
) {}

const fieldSummarySchema = z.object({
  count: z.number().int(),
  inputs: z.object({ text: z.number().int(), chat: z.number().int() }),
  expected: z.record(z.string(), z.number().int()),
  metadata: z.record(
    z.string(),
    z.object({
      count: z.number().int(),
      values: z.record(z.string(), z.number().int()),
      moreValues: z.boolean(),
    }),
  ),
});

const datasetSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  sha256: z
    .string()
    .describe('sha256 of the canonical items (one canonical JSON line per item, sorted by id).'),
  itemCount: z.number().int(),
  manifest: z.object({
    name: z.string(),
    version: z.number().int(),
    sha256: z.string(),
    count: z.number().int(),
    fields: fieldSummarySchema,
    provenance: z.object({
      sourceFile: z.string(),
      sourceSha256: z.string(),
      frozenWith: z.string(),
      note: z.string().optional(),
    }),
    createdAt: z.string(),
  }),
  createdBy: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<DatasetView>;

export class DatasetDto extends createZodDto(datasetSchema) {}
export class DatasetPageDto extends createZodDto(paged(datasetSchema.meta({ id: 'Dataset' }))) {}
export class DatasetItemsPageDto extends createZodDto(paged(datasetItemSchema.meta({ id: 'DatasetItem' }))) {}

const suiteSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  sha256: z
    .string()
    .describe('sha256 of the validated suite (defaults applied): formatting and comments do not change it.'),
  dataset: z.object({ id: z.string(), name: z.string(), version: z.number().int(), sha256: z.string() }),
  definition: z.looseObject({}).describe('The validated suite (see evals/schemas/suite.schema.json).'),
  createdBy: z.string(),
  createdAt: z.string(),
});

export class SuiteDto extends createZodDto(suiteSchema) {}
export class SuitePageDto extends createZodDto(paged(suiteSchema.meta({ id: 'Suite' }))) {}

const cassetteSchema = z.object({
  name: z.string(),
  sha256: z.string(),
  entries: z.number().int(),
  createdAt: z.string(),
});
export class CassetteDto extends createZodDto(cassetteSchema.omit({ createdAt: true })) {}
export class CassetteListDto extends createZodDto(z.array(cassetteSchema.meta({ id: 'Cassette' }))) {}
