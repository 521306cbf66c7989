/** An API answer as the tests read it. */
export interface ApiResponse {
  status: number;
  body: any;
}

/** Calls `fetch` with the bearer key and parses the JSON answer (the text when it is not JSON). */
export async function apiCall(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text is what the test sees.
  }
  return { status: res.status, body: parsed };
}
