/**
 * What `promise` rejects with, for tests that then assert on the error's class and fields; fails the test
 * when the promise fulfils instead.
 */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}
