/** An error the error handler renders with its status and message. */
export class HttpError extends Error {
  override name = 'HttpError'
  readonly status: number
  readonly expose = true

  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}
