import 'reflect-metadata'
import { Controller, Get, Injectable, Module, Post, Redirect, Req, UnauthorizedException, UseGuards, type ExecutionContext } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { NestExpressApplication } from '@nestjs/platform-express'
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport'
import type { Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import {
  createRevokeGuard,
  createRevokeRouter,
  FreedomIdStrategy,
  MemorySessionIndex,
  type FreedomIdParams,
  type FreedomIdProfile,
  type FreedomIdStrategyOptions,
} from '../../../src/index.js'

/** Which `validate` form the app's strategy uses; `'params'` is the README's. */
export type ValidateForm = 'params' | 'params-without-callbackArity' | 'profile'

/** The app under test: the README's NestJS section (a `PassportStrategy` subclass, an `AuthGuard`, a serializer). */
export async function createNestApp(options: FreedomIdStrategyOptions, form: ValidateForm, appURL: string) {
  const sessionSecret = 'compat-suite-session-secret'
  const seen: Array<{ params?: FreedomIdParams; profile: FreedomIdProfile }> = []

  // #region README nest strategy
  const sessionIndex = new MemorySessionIndex()

  @Injectable()
  class FreedomIdAuthStrategy extends PassportStrategy(FreedomIdStrategy, 'freedom-id', true) {
    constructor() {
      super({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex })
    }

    validate(accessToken: string, refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile) {
      return { id: profile.id, tokenExpiresIn: params.expires_in }
    }
  }

  @Injectable()
  class FreedomIdAuthGuard extends AuthGuard('freedom-id') {
    override async canActivate(context: ExecutionContext) {
      const result = (await super.canActivate(context)) as boolean
      await super.logIn(context.switchToHttp().getRequest()) // keeps the user in the session
      return result
    }
  }

  @Injectable()
  class SessionSerializer extends PassportSerializer {
    serializeUser(user: Express.User, done: (err: Error | null, user: Express.User) => void) {
      done(null, user)
    }

    deserializeUser(payload: Express.User, done: (err: Error | null, user: Express.User) => void) {
      done(null, payload)
    }
  }

  @Controller()
  class AuthController {
    @Get('auth/freedom-id')
    @UseGuards(FreedomIdAuthGuard)
    start() {} // the guard redirects to Freedom ID

    @Get('auth/freedom-id/callback')
    @UseGuards(FreedomIdAuthGuard)
    @Redirect('/profile')
    callback() {}

    @Post('logout')
    @Redirect('/')
    logout(@Req() req: Request) {
      return new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())))
    }
  }
  // #endregion

  /** The other `validate` forms, for the tests: `params` without Nest's `callbackArity`, and the profile form. */
  @Injectable()
  class ParamsWithoutArity extends PassportStrategy(FreedomIdStrategy, 'freedom-id') {
    constructor() {
      super({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex })
    }

    validate(accessToken: string, refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile) {
      seen.push({ params, profile })
      return { id: profile.id, tokenExpiresIn: params.expires_in }
    }
  }

  @Injectable()
  class ProfileForm extends PassportStrategy(FreedomIdStrategy, 'freedom-id') {
    constructor() {
      super({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex })
    }

    validate(accessToken: string, refreshToken: string, profile: FreedomIdProfile) {
      seen.push({ profile })
      return { id: profile.id }
    }
  }

  @Controller()
  class ProfileController {
    @Get('profile')
    profile(@Req() req: Request) {
      if (!req.user) throw new UnauthorizedException()
      return req.user
    }
  }

  const strategy = { params: FreedomIdAuthStrategy, 'params-without-callbackArity': ParamsWithoutArity, profile: ProfileForm }[form]

  // #region README nest module
  const store = new session.MemoryStore() // in production: a shared store such as connect-redis

  @Module({
    imports: [PassportModule.register({ session: true })],
    controllers: [AuthController, ProfileController],
    providers: [strategy, FreedomIdAuthGuard, SessionSerializer],
  })
  class AppModule {}

  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false })
  app.use('/auth/freedom-id/revoke', createRevokeRouter({ sessionIndex, sessionStore: store }))
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, store }))
  app.use(passport.initialize())
  app.use(passport.session())
  app.use(createRevokeGuard({ sessionIndex }))
  // #endregion
  return { app, seen }
}
