import { basicProgram } from "./program";

const batch = basicProgram();

/** Use this id as `batch_id` in Mail Send requests (with a `send_at`) to put mail into the batch. */
export const batchId = batch.batchId;
export const status = batch.status;
