/**
 * Graph calling-callback receiver: a small pure class. Verifies the bearer JWT (RS256, keys from the configured
 * OpenID configuration's JWKS, cached and refreshed; issuer Graph or Bot Framework; audience the bot app id; `tid`
 * required and allowed), then the body (zod), then classifies each notification. 401 / 400 with a reason.
 */
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import {
  GRAPH_CALLBACK_ISSUERS, callbackTokenClaimsSchema, commsNotificationsSchema, type CallbackTokenClaims,
} from '../../contracts/graph/index.js';
import { classifyNotification, NotificationShapeError, type ClassifiedNotification } from '../domain/classify.js';
import { HttpError } from './http-error.js';

export interface ReceiverOptions {
  openIdConfigurationUrl: string;
  audience: string;
  allowedTenantIds: readonly string[];
  /** Extra accepted issuers besides Graph and Bot Framework (the OpenID document's own `issuer` is added). */
  extraIssuers?: readonly string[];
  /** How long the OpenID document (and so the JWKS URL) is trusted before re-download. Default 2 h. */
  openIdRefreshMs?: number;
  clockToleranceSec?: number;
  maxBodyBytes?: number;
  fetchTimeoutMs?: number;
  /** Minimum time between JWKS re-downloads triggered by an unknown `kid`. Default 30 s. */
  jwksCooldownMs?: number;
}

export interface ReceivedBatch {
  claims: CallbackTokenClaims;
  tenantId: string;
  notifications: ClassifiedNotification[];
}

const openIdSchema = z.looseObject({ jwks_uri: z.url(), issuer: z.string().optional() });

export class CallbackReceiver {
  private keys: { getKey: JWTVerifyGetKey; issuers: string[]; loadedAt: number } | null = null;
  private loading: Promise<{ getKey: JWTVerifyGetKey; issuers: string[]; loadedAt: number }> | null = null;
  private readonly allowed: Set<string>;

  constructor(private readonly options: ReceiverOptions) {
    this.allowed = new Set(options.allowedTenantIds.map((t) => t.toLowerCase()));
  }

  private async keySet(): Promise<{ getKey: JWTVerifyGetKey; issuers: string[] }> {
    const refreshMs = this.options.openIdRefreshMs ?? 2 * 3600_000;
    if (this.keys && Date.now() - this.keys.loadedAt < refreshMs) return this.keys;
    this.loading ??= (async () => {
      const res = await fetch(this.options.openIdConfigurationUrl, { signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000) });
      if (!res.ok) throw new Error(`OpenID configuration answered ${res.status}`);
      const doc = openIdSchema.parse(await res.json());
      const getKey = createRemoteJWKSet(new URL(doc.jwks_uri), {
        timeoutDuration: this.options.fetchTimeoutMs ?? 5000,
        cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: 24 * 3600_000,
      });
      const issuers = [...GRAPH_CALLBACK_ISSUERS, ...(this.options.extraIssuers ?? []), ...(doc.issuer ? [doc.issuer] : [])];
      this.keys = { getKey, issuers, loadedAt: Date.now() };
      return this.keys;
    })().finally(() => {
      this.loading = null;
    });
    try {
      return await this.loading;
    } catch (err) {
      if (this.keys) return this.keys; // keep serving with the last good keys when a refresh fails
      throw err;
    }
  }

  /** Loads the OpenID configuration and JWKS ahead of the first notification. */
  async warmUp(): Promise<void> {
    await this.keySet();
  }

  async verifyToken(authorization: string | null | undefined): Promise<CallbackTokenClaims> {
    const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
    if (!m?.[1]) throw new HttpError(401, 'missing or malformed bearer token');
    let keys;
    try {
      keys = await this.keySet();
    } catch (err) {
      throw new HttpError(503, `cannot load signing keys: ${(err as Error).message}`);
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(m[1], keys.getKey, {
        algorithms: ['RS256'],
        issuer: keys.issuers,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSec ?? 300,
        requiredClaims: ['exp', 'tid'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw new HttpError(401, `token rejected: ${err.code}: ${err.message}`);
      throw new HttpError(401, `token rejected: ${(err as Error).message}`);
    }
    const claims = callbackTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw new HttpError(401, `token claims invalid: ${claims.error.issues[0]?.message ?? 'unknown'}`);
    if (!this.allowed.has(claims.data.tid.toLowerCase())) throw new HttpError(401, `tenant ${claims.data.tid} is not allowed`);
    return claims.data;
  }

  parseBody(rawBody: string): ClassifiedNotification[] {
    if (rawBody.length > (this.options.maxBodyBytes ?? 1_000_000)) throw new HttpError(413, 'body too large');
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const parsed = commsNotificationsSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
      throw new HttpError(400, `not a commsNotifications body: ${first.join('; ')}`);
    }
    try {
      return parsed.data.value.map(classifyNotification);
    } catch (err) {
      if (err instanceof NotificationShapeError) throw new HttpError(400, err.message);
      throw err;
    }
  }

  /** Token first (a forged request learns nothing about body validation), then body. */
  async receive(authorization: string | null | undefined, rawBody: string): Promise<ReceivedBatch> {
    const claims = await this.verifyToken(authorization);
    const notifications = this.parseBody(rawBody);
    return { claims, tenantId: claims.tid.toLowerCase(), notifications };
  }
}
