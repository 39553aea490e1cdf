/** resultInfo: `{code, subcode, message}`; codes arrive as numbers or numeric strings. */
import { z } from 'zod';
import { intOrNumericString } from './lenient.js';

export const resultInfoSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  code: intOrNumericString.optional(),
  subcode: intOrNumericString.optional(),
  message: z.string().nullish(),
});
export type ResultInfo = z.infer<typeof resultInfoSchema>;
