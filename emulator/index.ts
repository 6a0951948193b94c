// A faithful local SendGrid for the Mail Batch, Mail Send (scheduling fields) and Cancel Scheduled
// Sends endpoints, over real HTTP, with an inspection API under /__emulator/.

export { startEmulator } from "./start";
export { EmulatorAdmin, EmulatorAdminError, type EmulatorInfo } from "./admin";
export { DEFAULT_CONFIG, DEFAULT_EMULATOR_API_KEY, DEFAULT_SUBUSERS } from "./config";
export { EMULATOR_MESSAGES } from "./messages";
export { FAULT_KINDS, UNDOCUMENTED_CASES } from "./types";
export type {
  BatchState,
  BatchView,
  CannedReply,
  ClockView,
  Emulator,
  EmulatorConfig,
  EmulatorOptions,
  FaultKind,
  FaultOptions,
  FaultPhase,
  LateChange,
  MessageFate,
  MessageView,
  RateLimitOptions,
  RequestLogEntry,
  SeedMessageInput,
  SingleReadWithoutStatus,
  UndocumentedCase,
  UndocumentedReplies,
} from "./types";
