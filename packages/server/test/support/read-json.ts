/** A JSON body as tests read it: any shape, pinned down by the assertions that follow. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

/** Reads a response's body as JSON. */
export async function readJson(response: Response): Promise<JsonBody> {
  return (await response.json()) as JsonBody;
}
