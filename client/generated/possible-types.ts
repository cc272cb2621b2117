
      export interface PossibleTypesResultData {
        possibleTypes: {
          [key: string]: string[]
        }
      }
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CallServiceResult": [
      "CallServiceSuccess",
      "IdempotencyConflictError",
      "InvalidInputError",
      "RateLimitedError",
      "UnknownOperationError",
      "UnknownServiceError"
    ],
    "CreateApiKeyResult": [
      "CreateApiKeySuccess",
      "NotFoundError"
    ],
    "CreateTenantResult": [
      "CreateTenantSuccess",
      "TenantNameTakenError"
    ],
    "DeleteServiceResult": [
      "DeleteServiceSuccess",
      "NotFoundError",
      "ReadOnlyServiceError",
      "ServiceInUseError"
    ],
    "Error": [
      "IdempotencyConflictError",
      "InvalidInputError",
      "InvalidServiceError",
      "InvalidTransitionError",
      "NotFoundError",
      "RateLimitedError",
      "ReadOnlyServiceError",
      "ServiceInUseError",
      "ServiceNameTakenError",
      "TenantNameTakenError",
      "UnknownOperationError",
      "UnknownServiceError"
    ],
    "JobActionResult": [
      "InvalidTransitionError",
      "JobActionSuccess",
      "NotFoundError"
    ],
    "RegisterServiceResult": [
      "InvalidServiceError",
      "ServiceNameTakenError",
      "ServiceSuccess"
    ],
    "RevokeApiKeyResult": [
      "NotFoundError",
      "RevokeApiKeySuccess"
    ],
    "SetServiceModeResult": [
      "NotFoundError",
      "ReadOnlyServiceError",
      "ServiceSuccess"
    ],
    "TestServiceResult": [
      "InvalidInputError",
      "NotFoundError",
      "RateLimitedError",
      "TestServiceSuccess"
    ],
    "UpdateServiceResult": [
      "InvalidServiceError",
      "NotFoundError",
      "ReadOnlyServiceError",
      "ServiceSuccess"
    ]
  }
};
      export default result;
    