export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly responseBody: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const headers = new Headers(init?.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const res = await fetch(url, { ...init, headers });
  if (!res.ok) {
    throw new HttpStatusError(res.status, url, await res.text());
  }
  return (await res.json()) as T;
}
