// Twilio SendGrid scheduled-send batches (pause, cancel, resume mail scheduled with a batch_id) as Pulumi resources.
package sendgridbatch
