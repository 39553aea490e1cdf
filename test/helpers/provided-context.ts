/** What `test/global-setup.ts` provides to every test file (read it with `stackEnv()`). */
export interface TestStackEnv {
  /** Temp folder of this test run (removed at the end); make your own subfolders. */
  readonly tmpDir: string;
  /** Self-signed certificate for localhost/127.0.0.1 (serve HTTPS with it: TLS_CERT_FILE/TLS_KEY_FILE). */
  readonly certFile: string;
  readonly keyFile: string;
  /** What NODE_EXTRA_CA_CERTS points at in the test workers. */
  readonly caFile: string;
  readonly blobConnectionString: string;
  readonly cosmosEndpoint: string;
  readonly cosmosKey: string;
  readonly azurite: { readonly url: string; readonly pid: number | undefined };
  readonly cosmos: { readonly url: string; readonly pid: number | undefined };
  /**
   * Ready-made environment for children: BLOB_CONNECTION_STRING, AzureWebJobsStorage, COSMOS_ENDPOINT, COSMOS_KEY,
   * TLS_CERT_FILE, TLS_KEY_FILE, NODE_EXTRA_CA_CERTS.
   */
  readonly env: Readonly<Record<string, string>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testStack: TestStackEnv;
  }
}
