// A throwaway recorder + bridge sink for capacity runs: answers every invite at once with a local media config that
// points at its own bridge port, reports `recording`, and receives audio (WELCOME, CREDIT, ACK; counts frames), on
// dedicated connections or shared links.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FrameDecoder, encodeMessage, encodeLocalMediaConfig, type BridgeMessage } from '../../../contracts/bridge/index.js';
import { SimClient } from '../cli/sim-client.js';

export interface Sink {
  notificationUrl: string;
  framesReceived: () => number;
  bridgeConnections: () => number;
  close(): Promise<void>;
}

const TOKEN = 'capacity-sink-token-0123456789';

export async function startSink(sim: { baseUrl: string; caFile: string; tenantId: string; appId: string; secret: string }): Promise<Sink> {
  let frames = 0;
  let conns = 0;
  const sockets = new Set<Socket>();
  const bridge: TcpServer = createTcpServer((sock) => {
    conns++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const dec = new FrameDecoder();
    const counts = new Map<number, number>();
    // Shared links (protocol version 2): credit per channel, stream indexes bound to their channel by STREAM_START.
    const channelOf = new Map<number, number | undefined>();
    const sinceCredit = new Map<number | undefined, number>();
    const send = (m: BridgeMessage): void => void (!sock.destroyed && sock.write(encodeMessage(m)));
    sock.on('data', (chunk: Buffer) => {
      let msgs: BridgeMessage[];
      try {
        msgs = dec.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        if (m.type === 'hello') send({ type: 'welcome', version: m.version, channel: m.channel, creditFrames: 500, heartbeatIntervalMs: 5000, durable: [] });
        else if (m.type === 'streamStart') channelOf.set(m.streamIndex, m.channel);
        else if (m.type === 'audio') {
          frames++;
          const c = (counts.get(m.streamIndex) ?? 0) + 1;
          counts.set(m.streamIndex, c);
          if (c % 100 === 0) send({ type: 'ack', streamIndex: m.streamIndex, seq: m.seq });
          const channel = channelOf.get(m.streamIndex);
          const owed = (sinceCredit.get(channel) ?? 0) + 1;
          if (owed >= 50) {
            send({ type: 'credit', channel, frames: owed });
            sinceCredit.set(channel, 0);
          } else sinceCredit.set(channel, owed);
        } else if (m.type === 'streamEnd') send({ type: 'ack', streamIndex: m.streamIndex, seq: m.lastSeq });
        else if (m.type === 'ping') send({ type: 'pong', nonce: m.nonce });
        else if (m.type === 'goodbye' && m.channel === undefined) sock.end();
      }
    });
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', () => r()));
  const bridgePort = (bridge.address() as AddressInfo).port;

  const client = new SimClient({ baseUrl: sim.baseUrl, caFile: sim.caFile });
  let token: string | undefined;
  const getToken = async (): Promise<string> => {
    if (token) return token;
    const res = await fetch(`${sim.baseUrl}/${sim.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.appId, client_secret: sim.secret, scope: 'https://graph.microsoft.com/.default' }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
    return token;
  };
  const graph = async (path: string, body: unknown): Promise<number> => {
    const res = await fetch(`${sim.baseUrl}/v1.0${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  };

  let base = '';
  const http: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(202);
      res.end();
      if (req.url !== '/calls') return;
      const n = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: { changeType: string; resourceData: { id?: string } }[] }).value[0];
      if (!n || n.changeType.toLowerCase() !== 'created' || !n.resourceData.id) return;
      const legId = n.resourceData.id;
      void (async () => {
        const blob = encodeLocalMediaConfig({ v: 1, bridge: `tcp://127.0.0.1:${bridgePort}`, sessionId: `s-${legId}`, token: TOKEN });
        const st = await graph(`/communications/calls/${legId}/answer`, { callbackUri: `${base}/callback/${legId}`, acceptedModalities: ['audio'], mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob } });
        if (st === 202) await graph(`/communications/calls/${legId}/updateRecordingStatus`, { clientContext: `start-${legId}`, status: 'recording' });
      })().catch(() => undefined);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    notificationUrl: `${base}/calls`,
    framesReceived: () => frames,
    bridgeConnections: () => conns,
    close: async () => {
      client.close();
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await Promise.all([new Promise((r) => bridge.close(r)), new Promise((r) => http.close(r))]);
    },
  };
}
