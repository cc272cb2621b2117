
      export interface PossibleTypesResultData {
        possibleTypes: {
          [key: string]: string[]
        }
      }
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CallServiceResult": [
      "CallServiceSuccess",
      "InvalidInputError",
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
    "Error": [
      "InvalidInputError",
      "InvalidTransitionError",
      "NotFoundError",
      "TenantNameTakenError",
      "UnknownOperationError",
      "UnknownServiceError"
    ],
    "JobActionResult": [
      "InvalidTransitionError",
      "JobActionSuccess",
      "NotFoundError"
    ],
    "RevokeApiKeyResult": [
      "NotFoundError",
      "RevokeApiKeySuccess"
    ]
  }
};
      export default result;
    