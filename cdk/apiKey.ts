// Where the handler reads the SendGrid API key: a pointer (a Secrets Manager secret's ARN or an
// SSM SecureString parameter's name), never the key. CloudFormation does not resolve
// {{resolve:secretsmanager:…}} inside custom resource properties, so the function fetches the key.

import { Token } from "aws-cdk-lib";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { KEY_PROPERTIES, keySourceProblem } from "../core/keySource";

/** The template properties that carry the pointer (the handler reads one of them). */
const [SECRET_PROPERTY, PARAMETER_PROPERTY] = KEY_PROPERTIES;

/** Options of a SendGrid API key's location. */
export interface ApiKeyOptions {
  /**
   * ARN of the customer-managed KMS key that encrypts the secret or parameter; the role may then
   * decrypt with it through the service that holds the key (Secrets Manager or SSM) only.
   * @default - none: the AWS-managed keys need no grant
   */
  readonly kmsKeyArn?: string;
}

/** Where the handler function reads the SendGrid API key at run time: a secret or an SSM SecureString parameter. */
export class SendGridApiKey {
  /**
   * A Secrets Manager secret by its full ARN (ending in the "-" and 6 characters Secrets Manager
   * appends): the role is granted exactly this ARN. The secret holds the bare key or
   * `{"apiKey": "…"}`.
   */
  static fromSecretArn(secretArn: string, options: ApiKeyOptions = {}): SendGridApiKey {
    return new SendGridApiKey(SECRET_PROPERTY, checked("fromSecretArn", SECRET_PROPERTY, secretArn), options.kmsKeyArn);
  }

  /** A secret construct (created in the app or imported by its complete ARN), with its KMS key if it has one. */
  static fromSecret(secret: ISecret): SendGridApiKey {
    const arn = secret.secretFullArn;
    if (arn === undefined) {
      throw new Error(
        "SendGridApiKey.fromSecret: the secret has no full ARN (imported by name or partial ARN); import it with Secret.fromSecretCompleteArn, or use SendGridApiKey.fromSecretArn",
      );
    }
    return SendGridApiKey.fromSecretArn(arn, { kmsKeyArn: secret.encryptionKey?.keyArn });
  }

  /**
   * An SSM SecureString parameter by name ("/sendgrid/api-key") or ARN. A name that is a token
   * must start with "/".
   */
  static fromParameterName(parameterName: string, options: ApiKeyOptions = {}): SendGridApiKey {
    return new SendGridApiKey(PARAMETER_PROPERTY, checked("fromParameterName", PARAMETER_PROPERTY, parameterName), options.kmsKeyArn);
  }

  /** The template property the handler reads the pointer from: `ApiKeySecretArn` or `ApiKeyParameterName`. */
  readonly property: string;
  /** The secret's ARN or the parameter's name. */
  readonly value: string;
  /**
   * The customer-managed KMS key that encrypts the key, if any.
   * @default - none
   */
  readonly kmsKeyArn?: string;

  private constructor(property: string, value: string, kmsKeyArn: string | undefined) {
    this.property = property;
    this.value = value;
    this.kmsKeyArn = kmsKeyArn;
  }

  /** Whether the key is in Secrets Manager (else in SSM Parameter Store). */
  get isSecret(): boolean {
    return this.property === SECRET_PROPERTY;
  }
}

/** The handler's own rule for the pointer (core/keySource.ts), checked at synth when the value is known. */
function checked(factory: string, property: (typeof KEY_PROPERTIES)[number], value: string): string {
  if (Token.isUnresolved(value)) return value;
  const problem = keySourceProblem(property, value);
  if (problem) throw new Error(`SendGridApiKey.${factory}: ${problem}`);
  return value;
}
